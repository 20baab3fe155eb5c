"""One FilterSet per list, shared by the page and the API, so `?q=` means the same.

A FilterSet only narrows a queryset the area gate already built: naming another area's
subdistrict or community yields nothing, never that area's rows."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.models import (
    ELIGIBLE_BUILD_YEAR_MAX,
    Building,
    Community,
    Compound,
    Dwelling,
    PropertyManagement,
)


class CommunityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    subdistrict = django_filters.NumberFilter(field_name="subdistrict", label=_("subdistrict"))

    class Meta:
        model = Community
        fields = ["q", "subdistrict"]


def text_lookup(value: str) -> str:
    """Chinese has no letter case: fold case only when the words have Latin letters
    ("A区", "SOHO"). UPPER() on every row tripled the cost of a search on PostgreSQL."""
    return "icontains" if any(ch.isascii() and ch.isalpha() for ch in value) else "contains"


class InCompoundFilterSet(django_filters.FilterSet):
    """Base of the lists of things that belong to a compound (projects, topics, issues):
    `?compound=`, `?community=`, `?subdistrict=` by id, the same on every list. They only
    narrow what the area gate let through."""

    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    subdistrict = django_filters.NumberFilter(
        field_name="compound__community__subdistrict", label=_("subdistrict")
    )
    community = django_filters.NumberFilter(field_name="compound__community",
                                            label=_("community"))


class CompoundFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    subdistrict = django_filters.NumberFilter(
        field_name="community__subdistrict", label=_("subdistrict")
    )
    community = django_filters.NumberFilter(field_name="community", label=_("community"))
    eligible = django_filters.BooleanFilter(method="filter_eligible", label=_("eligible"))
    build_year_from = django_filters.NumberFilter(
        field_name="build_year", lookup_expr="gte", label=_("built from")
    )
    build_year_to = django_filters.NumberFilter(
        field_name="build_year", lookup_expr="lte", label=_("built until")
    )
    property_management = django_filters.ChoiceFilter(
        choices=PropertyManagement.choices, label=_("property management")
    )
    has_owners_committee = django_filters.BooleanFilter(label=_("owners' committee"))

    class Meta:
        model = Compound
        fields = [
            "q", "subdistrict", "community", "eligible", "build_year_from", "build_year_to",
            "property_management", "has_owners_committee",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        lookup = text_lookup(value)
        return queryset.filter(
            Q(**{f"name__{lookup}": value}) | Q(**{f"address__{lookup}": value})
        )

    def filter_eligible(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(build_year__lte=ELIGIBLE_BUILD_YEAR_MAX)
        return queryset.filter(build_year__gt=ELIGIBLE_BUILD_YEAR_MAX)


class BuildingFilterSet(django_filters.FilterSet):
    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    number = django_filters.CharFilter(field_name="number", label=_("building number"))

    class Meta:
        model = Building
        fields = ["compound", "number"]


class DwellingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    compound = django_filters.NumberFilter(field_name="building__compound", label=_("compound"))
    building = django_filters.NumberFilter(field_name="building", label=_("building"))
    unit = django_filters.CharFilter(field_name="unit", label=_("unit"))
    owner_ref = django_filters.CharFilter(field_name="owner_ref", label=_("owner key"))

    class Meta:
        model = Dwelling
        fields = ["q", "compound", "building", "unit", "owner_ref"]

    def search(self, queryset, name, value):
        """By dwelling number or owner key; never by owner name or phone, which not every
        reader may see."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(owner_ref__icontains=value))
