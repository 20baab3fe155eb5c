"""Reads of satisfaction grading (请您阅卷): the area gate, the rounds with their rates,
and the roll-ups by subdistrict and for the whole area.

The satisfaction rate of an aspect is (satisfied + basically satisfied) / responses,
kept as exact integer counts from the database (conditional Counts, one query per
grouping) and shown as a percentage rounded half up to 0.1 %. A compound counts with
its latest round that has opened; a subdistrict and the district pool the responses of
those rounds (every response weighs the same).
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from compounds.models import Compound, User
from compounds.selectors import area_q
from compounds.validation import as_id
from consultation.models.grading import (
    ASPECT_LABELS,
    ASPECTS,
    GradingCode,
    GradingResponse,
    GradingRound,
    Satisfaction,
)
from consultation.selectors.visits import decimal_str, percent_of

_VALUES = (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED)


@dataclass(frozen=True)
class AspectCounts:
    aspect: str
    satisfied: int
    basically: int
    unsatisfied: int

    @property
    def label(self):
        return ASPECT_LABELS[self.aspect]

    @property
    def total(self) -> int:
        return self.satisfied + self.basically + self.unsatisfied

    @property
    def rate(self) -> Fraction | None:
        """(satisfied + basically satisfied) / responses, exact; None without responses."""
        return Fraction(self.satisfied + self.basically, self.total) if self.total else None

    @property
    def percent(self) -> Decimal | None:
        """The rate in percent, rounded half up to 0.1."""
        return percent_of(self.satisfied + self.basically, self.total)

    def as_api(self) -> dict:
        return {"satisfied": self.satisfied, "basically": self.basically,
                "unsatisfied": self.unsatisfied, "responses": self.total,
                "percent": decimal_str(self.percent)}


@dataclass(frozen=True)
class Rates:
    responses: int
    aspects: tuple[AspectCounts, ...]

    @property
    def overall(self) -> AspectCounts:
        return self.aspects[0]

    def aspect(self, name: str) -> AspectCounts:
        return next(a for a in self.aspects if a.aspect == name)

    def as_api(self) -> dict:
        return {"responses": self.responses,
                "satisfaction_percent": decimal_str(self.overall.percent),
                "aspects": {a.aspect: a.as_api() for a in self.aspects}}


def _counts(path: str = "") -> dict:
    """The conditional Counts of every aspect and value (and the total), over responses
    reached by `path` ("" on GradingResponse itself, "responses__" from a round)."""
    pk = f"{path}id"
    counts = {"n_responses": Count(pk)}
    for aspect in ASPECTS:
        for value in _VALUES:
            counts[f"n_{aspect}_{value}"] = Count(pk, filter=Q(**{f"{path}{aspect}": value}))
    return counts


def _rates(row) -> Rates:
    get = row.get if isinstance(row, dict) else (lambda key: getattr(row, key))
    return Rates(
        responses=get("n_responses") or 0,
        aspects=tuple(
            AspectCounts(aspect, *(get(f"n_{aspect}_{value}") or 0 for value in _VALUES))
            for aspect in ASPECTS
        ),
    )


def rates_of(responses: QuerySet[GradingResponse]) -> Rates:
    """The rates of any set of responses: one aggregate query."""
    return _rates(responses.aggregate(**_counts()))


# --- rounds --------------------------------------------------------------------------


def rounds_visible_to(user: User) -> QuerySet[GradingRound]:
    return GradingRound.objects.filter(area_q(user, compound_path="compound__"))


def round_get_visible(*, user: User, round_id: int) -> GradingRound:
    pk = as_id(round_id)
    found = (rounds_visible_to(user).select_related("compound").filter(pk=pk).first()
             if pk else None)
    if found is None:
        raise Http404("grading round not found")
    return found


def with_rate_counts(rounds: QuerySet[GradingRound]) -> QuerySet[GradingRound]:
    """The rounds annotated with their answer counts (read them with `round_rates`)."""
    return rounds.annotate(**_counts("responses__"))


def round_rates(annotated: GradingRound) -> Rates:
    return _rates(annotated)


def rounds_with_rates(rounds: QuerySet[GradingRound]) -> list[tuple[GradingRound, Rates]]:
    """Each round with its rates: one query, whatever the number of rounds and answers."""
    return [(r, _rates(r)) for r in with_rate_counts(rounds)]


def latest_rounds(user: User) -> QuerySet[GradingRound]:
    """Per compound in the user's area, the latest round that has opened."""
    today = timezone.localdate()
    latest = (GradingRound.objects.filter(compound=OuterRef("compound"), opens_on__lte=today)
              .order_by("-opens_on", "-id").values("id")[:1])
    return rounds_visible_to(user).filter(opens_on__lte=today, pk=Subquery(latest))


def round_for_compound(*, compound_id: int) -> GradingRound | None:
    """The compound's unclosed round, if any (open, scheduled, or past its last day)."""
    pk = as_id(compound_id)
    return (GradingRound.objects.filter(compound_id=pk, closed_at__isnull=True)
            .order_by("-opens_on", "-id").first() if pk else None)


def public_compound(*, compound_id: int) -> Compound:
    """The compound a public grading page is about (any compound: the page is public)."""
    pk = as_id(compound_id)
    compound = Compound.objects.filter(pk=pk).first() if pk else None
    if compound is None:
        raise Http404("compound not found")
    return compound


# --- roll-ups ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubdistrictRates:
    subdistrict_id: int
    name: str
    rates: Rates


@dataclass(frozen=True)
class Overview:
    total: Rates
    subdistricts: list[SubdistrictRates]
    compounds: list[tuple[GradingRound, Rates]]

    def as_api(self) -> dict:
        return {
            "total": self.total.as_api(),
            "subdistricts": [{"subdistrict": s.subdistrict_id, "name": s.name,
                              **s.rates.as_api()} for s in self.subdistricts],
            "compounds": [{"compound": r.compound_id, "compound_name": r.compound.name,
                           "round": r.pk, "round_title": r.title, **rates.as_api()}
                          for r, rates in self.compounds],
        }


def grading_overview(*, user: User) -> Overview:
    """Every compound of the user's area with a round (its latest), each subdistrict and
    the whole area: three queries."""
    latest = latest_rounds(user)
    compounds = rounds_with_rates(
        latest.select_related("compound__community__subdistrict")
        .order_by("compound__community__subdistrict__name", "compound__name", "id")
    )
    responses = GradingResponse.objects.filter(round__in=latest.values("pk"))
    sub_path = "round__compound__community__subdistrict"
    subdistricts = [
        SubdistrictRates(row[sub_path], row[f"{sub_path}__name"], _rates(row))
        for row in responses.order_by().values(sub_path, f"{sub_path}__name")
        .annotate(**_counts()).order_by(f"{sub_path}__name")
    ]
    return Overview(total=rates_of(responses), subdistricts=subdistricts,
                    compounds=compounds)


def compound_rounds(*, compound: Compound) -> list[tuple[GradingRound, Rates]]:
    """The compound's rounds, newest first, each with its rates and code counts: one
    query (the code counts are subqueries, so they do not multiply the answers)."""
    codes = GradingCode.objects.filter(round=OuterRef("pk")).order_by().values("round")
    issued = codes.filter(revoked_at__isnull=True).annotate(c=Count("id")).values("c")
    used = codes.filter(used_at__isnull=False).annotate(c=Count("id")).values("c")
    rounds = (GradingRound.objects.filter(compound=compound)
              .annotate(codes_issued=Subquery(issued), codes_used=Subquery(used))
              .select_related("opened_by")
              .order_by("-opens_on", "-id"))
    return rounds_with_rates(rounds)


def round_comments(*, grading_round: GradingRound, limit: int = 200
                   ) -> list[GradingResponse]:
    """The comments of a round, newest first, with the overall grade: nothing personal
    is loaded (no code, no phone hash)."""
    return list(
        GradingResponse.objects.filter(round=grading_round).exclude(comments="")
        .only("comments", "overall", "submitted_at")
        .order_by("-submitted_at", "-id")[:limit]
    )
