"""Shapes of the registry API. Serializers check shape only (types, lengths, required);
every rule — the area gate, duplicates, counted totals, who may record owners' contacts
— is the services' (compounds.services), whose ValidationError the API maps to 400 by
field. A related object is given by id; the service resolves it through the area gate,
so an id outside the area reads exactly like one that does not exist."""

from rest_framework import serializers

from compounds import services
from compounds.models import Building, Community, Compound, Dwelling, Subdistrict


class _ServiceSerializer(serializers.ModelSerializer):
    """Create and update through the services, as the request's user."""

    create_service = None
    update_service = None
    id_kwarg = ""

    @property
    def acting_user(self):
        return self.context["request"].user

    def create(self, validated_data):
        return self.create_service(by=self.acting_user, **validated_data)

    def update(self, instance, validated_data):
        return self.update_service(
            by=self.acting_user, **{self.id_kwarg: instance.pk}, data=validated_data
        )


class SubdistrictSerializer(_ServiceSerializer):
    create_service = staticmethod(services.subdistrict_create)
    name = serializers.CharField(max_length=100)

    class Meta:
        model = Subdistrict
        fields = ["id", "name"]


class CommunitySerializer(_ServiceSerializer):
    create_service = staticmethod(services.community_create)
    name = serializers.CharField(max_length=100)
    subdistrict = serializers.IntegerField(source="subdistrict_id")

    class Meta:
        model = Community
        fields = ["id", "name", "subdistrict", "office_phone", "office_address"]


class CompoundSerializer(_ServiceSerializer):
    create_service = staticmethod(services.compound_create)
    update_service = staticmethod(services.compound_update)
    id_kwarg = "compound_id"
    name = serializers.CharField(max_length=100)
    community = serializers.IntegerField(source="community_id")
    grid = serializers.IntegerField(source="grid_id", required=False, allow_null=True)
    subdistrict = serializers.IntegerField(source="community.subdistrict_id", read_only=True)
    is_eligible = serializers.BooleanField(read_only=True)

    class Meta:
        model = Compound
        fields = [
            "id", "name", "address", "community", "subdistrict", "grid", "build_year",
            "households", "residents", "building_count", "floor_area", "property_management",
            "has_owners_committee", "has_party_branch", "latitude", "longitude", "is_eligible",
        ]
        # Duplicates are the service's to report, with its own message.
        validators = []


class BuildingSerializer(_ServiceSerializer):
    create_service = staticmethod(services.building_create)
    update_service = staticmethod(services.building_update)
    id_kwarg = "building_id"
    compound = serializers.IntegerField(source="compound_id")
    number = serializers.CharField(max_length=20)

    class Meta:
        model = Building
        fields = ["id", "compound", "number", "units", "floors", "build_year"]
        validators = []


class DwellingSerializer(_ServiceSerializer):
    """A dwelling in a list: no owner's name or phone, whoever asks (PIPL: personal data
    is not handed out in bulk; `owner_ref` is enough to group dwellings by owner)."""

    create_service = staticmethod(services.dwelling_create)
    update_service = staticmethod(services.dwelling_update)
    id_kwarg = "dwelling_id"
    building = serializers.IntegerField(source="building_id")
    compound = serializers.IntegerField(source="building.compound_id", read_only=True)
    unit = serializers.CharField(max_length=10)
    number = serializers.CharField(max_length=20)
    owner_ref = serializers.CharField(max_length=64)

    class Meta:
        model = Dwelling
        fields = ["id", "building", "compound", "unit", "number", "area", "owner_ref"]
        validators = []


class DwellingDetailSerializer(DwellingSerializer):
    """One dwelling, with its owner's name and phone: in full for district and
    subdistrict staff, masked (张*, 138****5678) for everyone else."""

    owner_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    owner_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)

    class Meta(DwellingSerializer.Meta):
        fields = [*DwellingSerializer.Meta.fields, "owner_name", "owner_phone"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.acting_user.sees_owner_contact:
            data["owner_name"] = instance.masked_owner_name
            data["owner_phone"] = instance.masked_owner_phone
        return data
