from rest_framework import serializers

from compounds.models import Community, Compound, Subdistrict


class SubdistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subdistrict
        fields = ["id", "name"]


class CommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = ["id", "name", "subdistrict"]


class CompoundSerializer(serializers.ModelSerializer):
    subdistrict = serializers.IntegerField(source="community.subdistrict_id", read_only=True)
    is_eligible = serializers.BooleanField(read_only=True)

    class Meta:
        model = Compound
        fields = [
            "id", "name", "address", "community", "subdistrict", "grid", "build_year",
            "households", "residents", "building_count", "floor_area", "property_management",
            "has_owners_committee", "has_party_branch", "latitude", "longitude", "is_eligible",
        ]
