"""Reads of door-to-door visits: the area gate, one visit, the list, what the visit form
offers (buildings, dwellings, open topics) and the attitude summary per compound.
Constant queries whatever the number of visits."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from compounds.models import Building, Dwelling, User
from compounds.selectors import area_q
from compounds.validation import as_id
from consultation.models import Topic
from consultation.models.topics import TopicStage
from consultation.models.visits import Attitude, Visit
from consultation.selectors.topics import topics_visible_to

# Topics still being talked over: once the result is applied there is nothing to ask.
OPEN_TOPIC_STAGES = (TopicStage.COLLECT, TopicStage.DRAFT, TopicStage.RESEARCH,
                     TopicStage.VOTE)


def visits_visible_to(user: User) -> QuerySet[Visit]:
    return Visit.objects.filter(area_q(user, compound_path="compound__"))


def visit_list(*, user: User) -> QuerySet[Visit]:
    """The visits the user may see, with what a row shows (one query per page)."""
    return visits_visible_to(user).select_related(
        "compound", "building", "dwelling", "topic", "visited_by"
    )


def visit_get_visible(*, user: User, visit_id: int) -> Visit:
    """One visit with everything its page shows, or 404 (another area's visit does not
    exist for the user)."""
    pk = as_id(visit_id)
    visit = (
        visit_list(user=user).select_related("ballot", "idea", "grievance")
        .filter(pk=pk).first() if pk else None
    )
    if visit is None:
        raise Http404("visit not found")
    return visit


def compound_buildings(*, compound_id: int) -> QuerySet[Building]:
    return Building.objects.filter(compound_id=compound_id).order_by("number", "id")


def building_dwellings(*, building_id: int) -> QuerySet[Dwelling]:
    # Unit and number sort as text; "10" after "9" would need the registry's own order.
    return Dwelling.objects.filter(building_id=building_id).order_by("unit", "number", "id")


def open_topics(*, user: User, compound_id: int) -> QuerySet[Topic]:
    """The compound's topics still being talked over, newest first."""
    return (topics_visible_to(user)
            .filter(compound_id=compound_id, stage__in=OPEN_TOPIC_STAGES)
            .order_by("-created_at", "-id"))


def percent_of(part: int, total: int) -> Decimal | None:
    """part / total as a percentage, exact, rounded half up to 0.1."""
    if not total:
        return None
    tenths, rest = divmod(part * 1000, total)
    if 2 * rest >= total:
        tenths += 1
    return Decimal(tenths).scaleb(-1)  # exact: 667 → 66.7, 1000 → 100.0


def decimal_str(value: Decimal | None) -> str | None:
    """A Decimal for JSON: a string (never a float), None as null."""
    return None if value is None else str(value)


@dataclass(frozen=True)
class AttitudeRow:
    compound_id: int
    compound_name: str
    support: int
    neutral: int
    oppose: int

    @property
    def total(self) -> int:
        return self.support + self.neutral + self.oppose

    @property
    def support_share(self) -> Decimal | None:
        return percent_of(self.support, self.total)

    @property
    def neutral_share(self) -> Decimal | None:
        return percent_of(self.neutral, self.total)

    @property
    def oppose_share(self) -> Decimal | None:
        return percent_of(self.oppose, self.total)

    def as_api(self) -> dict:
        return {
            "compound": self.compound_id, "compound_name": self.compound_name,
            "visits": self.total, "support": self.support, "neutral": self.neutral,
            "oppose": self.oppose, "support_share": decimal_str(self.support_share),
            "neutral_share": decimal_str(self.neutral_share),
            "oppose_share": decimal_str(self.oppose_share),
        }


def attitude_summary(visits: QuerySet[Visit]) -> list[AttitudeRow]:
    """Support, neutral and oppose per compound of the visits given (already through the
    gate and any filters), with shares in exact Decimal percent: one query."""
    rows = (
        visits.order_by()
        .values("compound_id", "compound__name")
        .annotate(
            support=Count("id", filter=Q(attitude=Attitude.SUPPORT)),
            neutral=Count("id", filter=Q(attitude=Attitude.NEUTRAL)),
            oppose=Count("id", filter=Q(attitude=Attitude.OPPOSE)),
        )
        .order_by("compound__name", "compound_id")
    )
    return [
        AttitudeRow(compound_id=r["compound_id"], compound_name=r["compound__name"],
                    support=r["support"], neutral=r["neutral"], oppose=r["oppose"])
        for r in rows
    ]
