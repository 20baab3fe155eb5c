"""FilterSets of the programme lists, shared by the pages, the export and the API, so
`?stage=design&q=长江` means the same everywhere. They only narrow a queryset the area
gate has already built: a filter naming another area yields nothing."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.filtersets import InCompoundFilterSet
from renewal.models import Batch, Project, Stage


class BatchFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="year", label=_("year"))

    class Meta:
        model = Batch
        fields = ["year"]


class ProjectFilterSet(InCompoundFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    batch = django_filters.NumberFilter(field_name="batch", label=_("batch"))
    stage = django_filters.ChoiceFilter(field_name="stage", choices=Stage.choices,
                                        label=_("stage"))

    class Meta:
        model = Project
        fields = ["q", "batch", "stage", "subdistrict", "community", "compound"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(compound__name__icontains=value)
            | Q(compound__address__icontains=value)
            | Q(contractor__icontains=value)
        )
