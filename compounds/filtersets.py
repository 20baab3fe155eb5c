"""One FilterSet per list, shared by the page and the API, so `?q=` means the same."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound


class CompoundFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    subdistrict = django_filters.NumberFilter(
        field_name="community__subdistrict", label=_("subdistrict")
    )
    community = django_filters.NumberFilter(field_name="community", label=_("community"))
    eligible = django_filters.BooleanFilter(method="filter_eligible", label=_("eligible"))

    class Meta:
        model = Compound
        fields = ["q", "subdistrict", "community", "eligible"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value))

    def filter_eligible(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(build_year__lte=2000) if value else queryset.filter(
            build_year__gt=2000
        )
