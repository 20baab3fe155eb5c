"""The registry API. Every queryset starts from the area gate, so another area's object
is a 404 and a list never shows it; writes go through compounds.services."""

from rest_framework import mixins, viewsets

from compounds.api.serializers import (
    BuildingSerializer,
    CommunitySerializer,
    CompoundSerializer,
    DwellingDetailSerializer,
    DwellingSerializer,
    SubdistrictSerializer,
)
from compounds.filtersets import (
    BuildingFilterSet,
    CommunityFilterSet,
    CompoundFilterSet,
    DwellingFilterSet,
)
from compounds.models import Building, Dwelling
from compounds.selectors import (
    area_q,
    communities_visible_to,
    compounds_visible_to,
    subdistricts_visible_to,
)


class _CreateReadViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List, detail and create."""


class _CreateReadUpdateViewSet(mixins.UpdateModelMixin, _CreateReadViewSet):
    """List, detail, create, PUT and PATCH."""


class SubdistrictViewSet(_CreateReadViewSet):
    serializer_class = SubdistrictSerializer

    def get_queryset(self):
        return subdistricts_visible_to(self.request.user).order_by("name")


class CommunityViewSet(_CreateReadViewSet):
    serializer_class = CommunitySerializer
    filterset_class = CommunityFilterSet

    def get_queryset(self):
        return communities_visible_to(self.request.user).order_by("name")


class CompoundViewSet(_CreateReadUpdateViewSet):
    serializer_class = CompoundSerializer
    filterset_class = CompoundFilterSet

    def get_queryset(self):
        return (
            compounds_visible_to(self.request.user)
            .select_related("community")
            .order_by("name", "id")
        )


class BuildingViewSet(_CreateReadUpdateViewSet):
    serializer_class = BuildingSerializer
    filterset_class = BuildingFilterSet

    def get_queryset(self):
        return Building.objects.filter(
            area_q(self.request.user, compound_path="compound__")
        ).order_by("compound_id", "number", "id")


class DwellingViewSet(_CreateReadUpdateViewSet):
    """Lists carry no owner name or phone; the detail carries them, masked unless the
    reader is district or subdistrict staff."""

    filterset_class = DwellingFilterSet

    def get_serializer_class(self):
        return DwellingSerializer if self.action == "list" else DwellingDetailSerializer

    def get_queryset(self):
        return (
            Dwelling.objects.filter(area_q(self.request.user, compound_path="building__compound__"))
            .select_related("building")
            .order_by("building_id", "unit", "number", "id")
        )


routes = [
    ("subdistricts", SubdistrictViewSet, "subdistrict"),
    ("communities", CommunityViewSet, "community"),
    ("compounds", CompoundViewSet, "compound"),
    ("buildings", BuildingViewSet, "building"),
    ("dwellings", DwellingViewSet, "dwelling"),
]
