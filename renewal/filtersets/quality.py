"""The FilterSets the quality lists share, pages and API alike."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renewal.models import (
    Inspection,
    InspectionKind,
    InspectionLevel,
    Rectification,
    RectificationStatus,
)
from renewal.selectors.quality import overdue_q


def _date_on_or_after(queryset, name, value):
    if value is None:
        return queryset
    return queryset.filter(
        Q(carried_out_on__gte=value) | Q(carried_out_on__isnull=True, scheduled_for__gte=value)
    )


def _date_on_or_before(queryset, name, value):
    if value is None:
        return queryset
    return queryset.filter(
        Q(carried_out_on__lte=value) | Q(carried_out_on__isnull=True, scheduled_for__lte=value)
    )


class InspectionFilterSet(django_filters.FilterSet):
    """`date_from`/`date_to` apply to the day it was carried out, or planned for."""

    project = django_filters.NumberFilter(field_name="project", label=_("project"))
    level = django_filters.ChoiceFilter(choices=InspectionLevel.choices, label=_("level"))
    kind = django_filters.ChoiceFilter(choices=InspectionKind.choices, label=_("kind"))
    subdistrict = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict", label=_("subdistrict")
    )
    date_from = django_filters.DateFilter(method=_date_on_or_after, label=_("date from"))
    date_to = django_filters.DateFilter(method=_date_on_or_before, label=_("date to"))

    class Meta:
        model = Inspection
        fields = ["project", "level", "kind", "subdistrict", "date_from", "date_to"]


class RectificationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RectificationStatus.choices, label=_("status"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    project = django_filters.NumberFilter(field_name="inspection__project", label=_("project"))
    inspection = django_filters.NumberFilter(field_name="inspection", label=_("inspection"))
    responsible_party = django_filters.CharFilter(
        lookup_expr="icontains", label=_("responsible party")
    )
    level = django_filters.ChoiceFilter(
        field_name="inspection__level", choices=InspectionLevel.choices, label=_("level")
    )
    subdistrict = django_filters.NumberFilter(
        field_name="inspection__project__compound__community__subdistrict",
        label=_("subdistrict"),
    )

    class Meta:
        model = Rectification
        fields = [
            "status", "overdue", "project", "inspection", "responsible_party", "level",
            "subdistrict",
        ]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())
