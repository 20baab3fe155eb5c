"""FilterSets of the works lists, shared by the pages, the export and the API. They only
narrow a queryset the area gate has already built: a filter naming another area's
project yields nothing."""

import django_filters
from django.utils.translation import gettext_lazy as _

from renewal.models import ItemCategory, ItemStatus, ProgressReport, WorkItem


class WorkItemFilterSet(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project", label=_("project"))
    type = django_filters.NumberFilter(field_name="type", label=_("type"))
    status = django_filters.ChoiceFilter(field_name="status", choices=ItemStatus.choices,
                                         label=_("status"))
    category = django_filters.ChoiceFilter(field_name="type__category",
                                           choices=ItemCategory.choices, label=_("category"))

    class Meta:
        model = WorkItem
        fields = ["project", "type", "status", "category"]


class ProgressReportFilterSet(django_filters.FilterSet):
    work_item = django_filters.NumberFilter(field_name="work_item", label=_("work item"))
    project = django_filters.NumberFilter(field_name="work_item__project", label=_("project"))

    class Meta:
        model = ProgressReport
        fields = ["work_item", "project"]
