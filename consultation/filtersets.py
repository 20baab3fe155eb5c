"""FilterSet of the topic list, shared by the API (and the pages when they come)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from consultation.models import Topic, TopicKind


class TopicFilterSet(django_filters.FilterSet):
    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    kind = django_filters.ChoiceFilter(field_name="kind", choices=TopicKind.choices,
                                       label=_("kind"))

    class Meta:
        model = Topic
        fields = ["compound", "kind"]
