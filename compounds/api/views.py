from rest_framework import viewsets

from compounds.api.serializers import (
    CommunitySerializer,
    CompoundSerializer,
    SubdistrictSerializer,
)
from compounds.filtersets import CompoundFilterSet
from compounds.selectors import (
    communities_visible_to,
    compounds_visible_to,
    subdistricts_visible_to,
)


class SubdistrictViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SubdistrictSerializer

    def get_queryset(self):
        return subdistricts_visible_to(self.request.user).order_by("name")


class CommunityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CommunitySerializer
    filterset_fields = ["subdistrict"]

    def get_queryset(self):
        return communities_visible_to(self.request.user).order_by("name")


class CompoundViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CompoundSerializer
    filterset_class = CompoundFilterSet

    def get_queryset(self):
        return (
            compounds_visible_to(self.request.user)
            .select_related("community")
            .order_by("name", "id")
        )


routes = [
    ("subdistricts", SubdistrictViewSet, "subdistrict"),
    ("communities", CommunityViewSet, "community"),
    ("compounds", CompoundViewSet, "compound"),
]
