"""Reads behind the topic pages and API lists: a page of topics with their tallies, the
ballots of a topic dwelling by dwelling, an elevator's affected dwellings. Each runs a
fixed number of queries however many rows it covers."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from compounds.models import Building, Dwelling, User
from consultation.models import Ballot, Choice, Scope, Topic, TopicKind
from consultation.selectors.topics import (
    Tally,
    _area,
    dwelling_label,
    eligible_dwellings,
    tally_judge,
    topics_visible_to,
)


def topics_for_list(*, user: User) -> QuerySet[Topic]:
    """The user's topics, newest first, with what a list row shows (one query a page)."""
    return (
        topics_visible_to(user)
        .select_related("compound__community__subdistrict", "building")
        .order_by("-created_at", "-id")
    )


# A topic's eligible dwellings, seen from the topic across compound → buildings →
# dwellings: the same places `eligible_dwellings` names for one topic.
_D = "compound__buildings__dwellings__"
_TOPIC_SCOPE = (
    Q(scope=Scope.COMPOUND)
    | Q(scope=Scope.BUILDING, compound__buildings__id=F("building_id"))
    | Q(scope=Scope.UNIT, compound__buildings__id=F("building_id"),
        **{_D + "unit": F("unit")})
)
# A ballot counts when its dwelling is in its topic's scope (as `_counts` joins them).
_BALLOT_SCOPE = Q(dwelling__building__compound_id=F("topic__compound_id")) & (
    Q(topic__scope=Scope.COMPOUND)
    | Q(topic__scope=Scope.BUILDING, dwelling__building_id=F("topic__building_id"))
    | Q(topic__scope=Scope.UNIT, dwelling__building_id=F("topic__building_id"),
        dwelling__unit=F("topic__unit"))
)
_AGREE = Q(choice=Choice.AGREE)


def tallies_for_topics(topics: Sequence[Topic]) -> dict[int, Tally]:
    """The tally of each topic, exactly as `topic_tally` counts it, in at most three
    queries for the whole page: the eligible area, dwellings and owners (grouped by
    topic), the ballots (grouped by topic; an owner agrees when none of their ballots
    disagrees or abstains), and the affected dwellings of elevator topics not agreeing."""
    topics = list(topics)
    if not topics:
        return {}
    ids = [t.pk for t in topics]
    eligible = {
        row["pk"]: row
        for row in Topic.objects.filter(pk__in=ids).order_by().values("pk").annotate(
            eligible_area=Sum(_D + "area", filter=_TOPIC_SCOPE),
            eligible_dwellings=Count(_D + "id", filter=_TOPIC_SCOPE),
            eligible_owners=Count(_D + "owner_ref", filter=_TOPIC_SCOPE, distinct=True),
        )
    }
    cast = {
        row["topic_id"]: row
        for row in Ballot.objects.filter(_BALLOT_SCOPE, topic_id__in=ids).order_by()
        .values("topic_id").annotate(
            participating_area=Sum("dwelling__area"),
            participating_dwellings=Count("id"),
            participating_owners=Count("dwelling__owner_ref", distinct=True),
            agree_area=Sum("dwelling__area", filter=_AGREE),
            agree_dwellings=Count("id", filter=_AGREE),
            dissenting_owners=Count("dwelling__owner_ref", filter=~_AGREE, distinct=True),
        )
    }
    affected = _affected_not_agreeing(
        [t.pk for t in topics if t.kind == TopicKind.ELEVATOR]
    )
    tallies = {}
    for topic in topics:
        e, c = eligible.get(topic.pk, {}), cast.get(topic.pk, {})
        participating_owners = c.get("participating_owners", 0)
        counts = {
            "eligible_area": _area(e.get("eligible_area")),
            "eligible_dwellings": e.get("eligible_dwellings", 0),
            "eligible_owners": e.get("eligible_owners", 0),
            "participating_area": _area(c.get("participating_area")),
            "participating_dwellings": c.get("participating_dwellings", 0),
            "participating_owners": participating_owners,
            "agree_area": _area(c.get("agree_area")),
            "agree_dwellings": c.get("agree_dwellings", 0),
            "agree_owners": participating_owners - c.get("dissenting_owners", 0),
        }
        tallies[topic.pk] = tally_judge(topic=topic, counts=counts,
                                        affected_not_agreeing=affected[topic.pk])
    return tallies


def _affected_not_agreeing(topic_ids: list[int]) -> dict[int, list[str]]:
    """Per elevator topic, its affected dwellings without an agreeing ballot (one query,
    none when there is no elevator topic)."""
    missing: dict[int, list[str]] = defaultdict(list)
    if not topic_ids:
        return missing
    agreeing = Ballot.objects.filter(topic_id=OuterRef("topic_id"),
                                     dwelling_id=OuterRef("dwelling_id"), choice=Choice.AGREE)
    rows = (
        Topic.affected_dwellings.through.objects.filter(topic_id__in=topic_ids)
        .exclude(Exists(agreeing))
        .order_by("dwelling__building__number", "dwelling__unit", "dwelling__number")
        .values_list("topic_id", "dwelling__building__number", "dwelling__unit",
                     "dwelling__number")
    )
    for topic_id, building, unit, number in rows:
        missing[topic_id].append(dwelling_label(building=building, unit=unit, number=number))
    return missing


def _with_vote(dwellings: QuerySet[Dwelling], topic: Topic) -> QuerySet[Dwelling]:
    """Dwellings, each with its standing ballot on `topic` (or none) in the same row."""
    return dwellings.annotate(
        vote=FilteredRelation("ballots", condition=Q(ballots__topic_id=topic.pk))
    ).annotate(
        ballot_id=F("vote__id"),
        choice=F("vote__choice"),
        method=F("vote__method"),
        cast_at=F("vote__cast_at"),
        sheet_photo=F("vote__sheet_photo"),
        recorder_username=F("vote__recorded_by__username"),
        recorder_first_name=F("vote__recorded_by__first_name"),
        recorder_last_name=F("vote__recorded_by__last_name"),
    )


def topic_ballot_rows(*, topic: Topic) -> QuerySet[Dwelling]:
    """Every dwelling in the topic's scope, in building, unit, number order, with its
    standing vote: `ballot_id`, `choice`, `method`, `cast_at`, `sheet_photo` (a stored
    file name or ""/None) and who recorded it (`recorder_*`). One query a page."""
    return _with_vote(eligible_dwellings(topic).select_related("building"), topic).order_by(
        "building__number", "unit", "number", "pk"
    )


def affected_dwellings_with_votes(*, topic: Topic) -> list[Dwelling]:
    """An elevator topic's affected dwellings, each with its standing vote (one query)."""
    dwellings = Dwelling.objects.filter(affected_by_topics=topic).select_related("building")
    return list(_with_vote(dwellings, topic).order_by("building__number", "unit", "number"))


def _natural(text: str) -> tuple:
    """"2" before "10", "3A" after "3": how people number buildings and dwellings."""
    digits = len(text) - len(text.lstrip("0123456789"))
    return (int(text[:digits]) if digits else float("inf"), text[digits:], text)


@dataclass
class DwellingOptions:
    """Dwellings as <select> choices grouped by building (<optgroup>): [(group label,
    [(id, "1-2-301（72.50 m²）")])], and their buildings as [(id, number)]; both in
    natural order."""

    choices: list[tuple[str, list[tuple[int, str]]]]
    buildings: list[tuple[int, str]]


def dwelling_options(dwellings: QuerySet[Dwelling]) -> DwellingOptions:
    """The choices a form offers for these dwellings (one query)."""
    rows = sorted(
        dwellings.values_list("pk", "building_id", "building__number", "unit", "number",
                              "area"),
        key=lambda r: (_natural(r[2]), _natural(r[3]), _natural(r[4])),
    )
    groups: dict[int, list[tuple[int, str]]] = {}
    buildings: list[tuple[int, str]] = []
    for pk, building_id, building, unit, number, area in rows:
        if building_id not in groups:
            groups[building_id] = []
            buildings.append((building_id, building))
        groups[building_id].append((pk, f"{building}-{unit}-{number}（{area} m²）"))
    return DwellingOptions(
        choices=[(_("building %(building)s") % {"building": number}, groups[building_id])
                 for building_id, number in buildings],
        buildings=buildings,
    )


def compound_building_options(*, compound_id: int) -> list[tuple[int, str]]:
    """A compound's buildings as (id, number), in natural order. One query."""
    rows = Building.objects.filter(compound_id=compound_id).values_list("pk", "number")
    return sorted(rows, key=lambda r: _natural(r[1]))


def topic_ballot_summary(*, topic: Topic) -> dict:
    """How the dwellings in scope stand: agree, disagree, abstain, not yet voted, and
    how many have a photographed sheet (one query)."""
    rows = topic_ballot_rows(topic=topic).order_by()
    counts = rows.aggregate(
        total=Count("pk"),
        **{value: Count("pk", filter=Q(vote__choice=value)) for value in Choice.values},
        not_voted=Count("pk", filter=Q(vote__isnull=True)),
        photographed=Count("pk", filter=Q(vote__isnull=False) & ~Q(vote__sheet_photo="")),
    )
    return counts


def topic_get_visible(*, user: User, topic_id: int) -> Topic:
    """One topic the user may see, with its place, or 404 (one query)."""
    topic = (
        topics_visible_to(user)
        .select_related("compound__community__subdistrict", "building", "created_by")
        .filter(pk=topic_id)
        .first()
    )
    if topic is None:
        raise Http404("topic not found")
    return topic
