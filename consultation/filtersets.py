"""FilterSets of the topic lists, shared by the pages, the exports and the API, so that
`?stage=vote&kind=elevator` means the same everywhere. They only narrow a queryset the
area gate has already built: a filter naming another area yields nothing."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.filtersets import InCompoundFilterSet
from compounds.models import Dwelling
from consultation.models import Ballot, Choice, Method, Rule, Scope, Topic, TopicKind
from consultation.models.topics import TopicStage

NOT_VOTED = "none"


def day_range(field: str) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """`date_from`, `date_to`: the local days (Asia/Shanghai) between which the datetime
    `field` falls, both included."""
    return (
        django_filters.DateFilter(field_name=field, lookup_expr="date__gte",
                                  label=_("date from")),
        django_filters.DateFilter(field_name=field, lookup_expr="date__lte",
                                  label=_("date to")),
    )


class TopicFilterSet(InCompoundFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(field_name="kind", choices=TopicKind.choices,
                                       label=_("kind of topic"))
    rule = django_filters.ChoiceFilter(field_name="rule", choices=Rule.choices,
                                       label=_("rule"))
    scope = django_filters.ChoiceFilter(field_name="scope", choices=Scope.choices,
                                        label=_("scope"))
    stage = django_filters.ChoiceFilter(field_name="stage", choices=TopicStage.choices,
                                        label=_("stage"))

    class Meta:
        model = Topic
        fields = ["q", "compound", "subdistrict", "community", "kind", "rule", "scope",
                  "stage"]

    def search(self, queryset, name, value):
        """A compound's name or address, or words of the topic's title."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(compound__name__icontains=value) | Q(compound__address__icontains=value)
            | Q(title__icontains=value)
        )


VOTE_CHOICES = [*Choice.choices, (NOT_VOTED, _("not yet voted"))]


class TopicBallotRowFilterSet(django_filters.FilterSet):
    """The ballots page: the dwellings in a topic's scope (consultation.selectors.
    topic_lists.topic_ballot_rows), by their standing choice, not voted yet, building."""

    choice = django_filters.ChoiceFilter(choices=VOTE_CHOICES, method="by_choice",
                                         label=_("choice"))
    building = django_filters.NumberFilter(field_name="building", label=_("building"))

    class Meta:
        model = Dwelling
        fields = ["choice", "building"]

    def by_choice(self, queryset, name, value):
        if value == NOT_VOTED:
            return queryset.filter(vote__isnull=True)
        return queryset.filter(vote__choice=value)


class BallotFilterSet(django_filters.FilterSet):
    """The API list of a topic's standing ballots."""

    choice = django_filters.ChoiceFilter(field_name="choice", choices=Choice.choices,
                                         label=_("choice"))
    method = django_filters.ChoiceFilter(field_name="method", choices=Method.choices,
                                         label=_("method"))
    building = django_filters.NumberFilter(field_name="dwelling__building",
                                           label=_("building"))

    class Meta:
        model = Ballot
        fields = ["choice", "method", "building"]
