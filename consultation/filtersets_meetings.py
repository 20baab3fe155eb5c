"""FilterSets of the meeting and golden-idea lists, shared by the pages and the API.
Dates are local days (Asia/Shanghai)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultation.filtersets import day_range
from consultation.models.ideas import Idea, IdeaSource, IdeaStatus
from consultation.models.meetings import Meeting, MeetingType
from consultation.selectors.meetings import missing_minutes_q


class _CompoundFilterSet(django_filters.FilterSet):
    """A compound by id (the compound's page links here) or by a part of its name."""

    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    compound_name = django_filters.CharFilter(field_name="compound__name",
                                              lookup_expr="icontains", label=_("compound"))


class MeetingFilterSet(_CompoundFilterSet):
    type = django_filters.ChoiceFilter(choices=MeetingType.choices, label=_("type"))
    date_from, date_to = day_range("starts_at")
    missing_minutes = django_filters.BooleanFilter(method="filter_missing_minutes",
                                                   label=_("minutes missing"))

    class Meta:
        model = Meeting
        fields = ["compound", "compound_name", "type", "date_from", "date_to",
                  "missing_minutes"]

    def filter_missing_minutes(self, queryset, name, value):
        """True: held (its time has passed), not cancelled, no minutes yet."""
        if value is None:
            return queryset
        held_without = missing_minutes_q(now=timezone.now())
        return queryset.filter(held_without) if value else queryset.exclude(held_without)


class IdeaFilterSet(_CompoundFilterSet):
    status = django_filters.ChoiceFilter(choices=IdeaStatus.choices, label=_("status"))
    source = django_filters.ChoiceFilter(choices=IdeaSource.choices, label=_("source"))
    date_from, date_to = day_range("created_at")

    class Meta:
        model = Idea
        fields = ["status", "compound", "compound_name", "source", "date_from", "date_to"]
