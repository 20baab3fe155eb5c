"""Reads of the consultation app: the tally, exactly as the law counts.

Civil Code art. 278:
- a decision needs owners holding at least 2/3 of the exclusive area AND at least 2/3 of
  the owners by headcount to take part (the quorum);
- raising maintenance funds, rebuilding or altering buildings and facilities, changing
  the use of common parts (`civil_code_major`) need at least 3/4 of the participating
  area AND of the participating owners to agree;
- other matters (`civil_code_ordinary`) need more than half of each.
"At least" (以上) includes the boundary; "more than half" (过半数) does not.

Headcount is one per dwelling, except that dwellings with the same `owner_ref` are one
person. Abstentions take part but do not agree. An owner of several dwellings counts as
agreeing only when every ballot they cast agrees. Comparisons are made on exact Decimals
by cross-multiplication (3 × part ≥ 2 × whole), never by dividing, never with floats.

`consent_share` topics (Jinshui's 80 % gate) count dwellings: agreeing ÷ eligible ≥
threshold; there is no quorum. An elevator topic's affected dwellings must each agree.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from compounds.models import Dwelling, User
from compounds.selectors import area_q
from consultation.models import Ballot, Choice, Rule, Scope, Topic, TopicKind

CENT = Decimal("0.01")


def _area(value) -> Decimal:
    # SQLite sums decimals as floating point: back to the cent the areas are kept in.
    return Decimal(str(value or 0)).quantize(CENT)


def topics_visible_to(user: User) -> QuerySet[Topic]:
    """The area gate for topics: a topic is visible when its compound is."""
    return Topic.objects.filter(area_q(user, compound_path="compound__"))


def eligible_dwellings(topic: Topic) -> QuerySet[Dwelling]:
    """The dwellings whose owners decide this topic: its compound, building or unit."""
    dwellings = Dwelling.objects.filter(building__compound_id=topic.compound_id)
    if topic.scope in (Scope.BUILDING, Scope.UNIT):
        dwellings = dwellings.filter(building_id=topic.building_id)
    if topic.scope == Scope.UNIT:
        dwellings = dwellings.filter(unit=topic.unit)
    return dwellings


@dataclass
class Tally:
    rule: str
    eligible_owners: int
    eligible_area: Decimal
    eligible_dwellings: int
    participating_owners: int
    participating_area: Decimal
    participating_dwellings: int
    agree_owners: int
    agree_area: Decimal
    agree_dwellings: int
    threshold: Decimal | None = None
    affected_not_agreeing: list[str] = field(default_factory=list)
    quorum_met: bool = False
    passed: bool = False
    reasons: list[str] = field(default_factory=list)

    # Shares for display, in % to one decimal (None when there is nothing to share);
    # whether the topic passes is decided above by exact cross-multiplication, not here.
    @property
    def participation_area_pct(self) -> Decimal | None:
        return _percent(self.participating_area, self.eligible_area)

    @property
    def participation_owners_pct(self) -> Decimal | None:
        return _percent(self.participating_owners, self.eligible_owners)

    @property
    def participation_dwellings_pct(self) -> Decimal | None:
        return _percent(self.participating_dwellings, self.eligible_dwellings)

    @property
    def support_area_pct(self) -> Decimal | None:
        """Agreeing area among the area that took part (the Civil Code's second test)."""
        return _percent(self.agree_area, self.participating_area)

    @property
    def support_owners_pct(self) -> Decimal | None:
        return _percent(self.agree_owners, self.participating_owners)

    @property
    def support_dwellings_pct(self) -> Decimal | None:
        """Agreeing dwellings among all eligible ones (the consent-share test)."""
        return _percent(self.agree_dwellings, self.eligible_dwellings)

    @property
    def threshold_pct(self) -> str | None:
        """A consent-share threshold in %, as written: 0.80 → "80", 0.755 → "75.5"."""
        if self.threshold is None:
            return None
        return format((self.threshold * 100).normalize(), "f")

    def as_api(self) -> dict:
        return {
            "rule": self.rule,
            "eligible_owners": self.eligible_owners,
            "eligible_area": str(self.eligible_area),
            "eligible_dwellings": self.eligible_dwellings,
            "participating_owners": self.participating_owners,
            "participating_area": str(self.participating_area),
            "participating_dwellings": self.participating_dwellings,
            "agree_owners": self.agree_owners,
            "agree_area": str(self.agree_area),
            "agree_dwellings": self.agree_dwellings,
            "threshold": None if self.threshold is None else str(self.threshold),
            "affected_not_agreeing": self.affected_not_agreeing,
            "quorum_met": self.quorum_met,
            "passed": self.passed,
            "reasons": self.reasons,
        }


PERCENT = Decimal("0.1")


def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def dwelling_label(*, building: str, unit: str, number: str) -> str:
    return _("building %(building)s unit %(unit)s no. %(number)s") % {
        "building": building, "unit": unit, "number": number}


def _counts(topic: Topic) -> dict:
    """Areas and dwellings (one query) and owners as persons (one grouped query)."""
    this_topic = FilteredRelation("ballots", condition=Q(ballots__topic_id=topic.pk))
    dwellings = eligible_dwellings(topic).annotate(vote=this_topic)
    cast, agreed = Q(vote__isnull=False), Q(vote__choice=Choice.AGREE)
    sums = dwellings.aggregate(
        eligible_area=Sum("area"), eligible_dwellings=Count("id"),
        participating_area=Sum("area", filter=cast),
        participating_dwellings=Count("id", filter=cast),
        agree_area=Sum("area", filter=agreed), agree_dwellings=Count("id", filter=agreed),
    )
    owners = dwellings.values("owner_ref").annotate(
        cast=Count("vote__id"), agreed=Count("vote__id", filter=agreed)
    ).values_list("cast", "agreed")
    eligible_owners = participating_owners = agree_owners = 0
    for n_cast, n_agreed in owners:
        eligible_owners += 1
        if n_cast:
            participating_owners += 1
            agree_owners += n_agreed == n_cast
    return {
        "eligible_area": _area(sums["eligible_area"]),
        "participating_area": _area(sums["participating_area"]),
        "agree_area": _area(sums["agree_area"]),
        "eligible_dwellings": sums["eligible_dwellings"],
        "participating_dwellings": sums["participating_dwellings"],
        "agree_dwellings": sums["agree_dwellings"],
        "eligible_owners": eligible_owners,
        "participating_owners": participating_owners,
        "agree_owners": agree_owners,
    }


def _affected_not_agreeing(topic: Topic) -> list[str]:
    """Affected dwellings without an agreeing ballot on this topic, by their label (one
    query). An Exists, not exclude(ballots__topic=…, ballots__choice=…): across a
    multi-valued relation exclude() may match the two conditions on different ballots,
    so an agreement on another topic would have hidden a refusal on this one."""
    agreeing = Ballot.objects.filter(topic_id=topic.pk, dwelling_id=OuterRef("pk"),
                                     choice=Choice.AGREE)
    missing = (
        topic.affected_dwellings.exclude(Exists(agreeing))
        .select_related("building")
        .order_by("building__number", "unit", "number")
    )
    return [dwelling_label(building=d.building.number, unit=d.unit, number=d.number)
            for d in missing]


def _at_least(part, whole, numerator: int, denominator: int) -> bool:
    """part / whole ≥ numerator / denominator, exactly (以上 includes the boundary)."""
    return part * denominator >= whole * numerator


def _more_than_half(part, whole) -> bool:
    """part / whole > 1/2, exactly (过半数 does not include the boundary)."""
    return part * 2 > whole


def topic_tally(*, topic: Topic) -> Tally:
    """The tally of a topic as the rule counts it, in three queries whatever its size."""
    counts = _counts(topic)
    affected: list[str] = []
    if topic.kind == TopicKind.ELEVATOR and counts["eligible_dwellings"]:
        affected = _affected_not_agreeing(topic)
    return tally_judge(topic=topic, counts=counts, affected_not_agreeing=affected)


def tally_judge(*, topic: Topic, counts: dict, affected_not_agreeing: list[str]) -> Tally:
    """The rule applied to counts already made (by `_counts` for one topic, or by
    `consultation.selectors.topic_lists.tallies_for_topics` for a page of them)."""
    tally = Tally(rule=topic.rule, threshold=topic.threshold, **counts)
    reasons = tally.reasons
    if tally.eligible_dwellings == 0:
        reasons.append(_("No dwelling is registered in this topic's scope."))
        return tally

    if topic.rule == Rule.CONSENT_SHARE:
        tally.quorum_met = True  # a share of households: no quorum applies
        share_met = tally.agree_dwellings >= topic.threshold * tally.eligible_dwellings
        if not share_met:
            reasons.append(
                _("%(agree)s of %(eligible)s dwellings agree; %(needed)s%% are needed.")
                % {"agree": tally.agree_dwellings, "eligible": tally.eligible_dwellings,
                   "needed": (topic.threshold * 100).normalize()}
            )
        passed = share_met
    else:
        area_quorum = _at_least(tally.participating_area, tally.eligible_area, 2, 3)
        owner_quorum = _at_least(tally.participating_owners, tally.eligible_owners, 2, 3)
        if not area_quorum:
            reasons.append(
                _("Owners of %(part)s of %(whole)s m² took part: less than the two thirds "
                  "of the exclusive area the Civil Code requires.")
                % {"part": tally.participating_area, "whole": tally.eligible_area}
            )
        if not owner_quorum:
            reasons.append(
                _("%(part)s of %(whole)s owners took part: less than the two thirds of the "
                  "owners the Civil Code requires.")
                % {"part": tally.participating_owners, "whole": tally.eligible_owners}
            )
        tally.quorum_met = area_quorum and owner_quorum
        if topic.rule == Rule.CIVIL_CODE_MAJOR:
            area_ok = _at_least(tally.agree_area, tally.participating_area, 3, 4)
            owners_ok = _at_least(tally.agree_owners, tally.participating_owners, 3, 4)
            area_text = _("Agreeing owners hold %(part)s of the %(whole)s m² that took "
                          "part: less than three quarters.")
            owner_text = _("%(part)s of the %(whole)s owners who took part agree: less than "
                           "three quarters.")
        else:
            area_ok = _more_than_half(tally.agree_area, tally.participating_area)
            owners_ok = _more_than_half(tally.agree_owners, tally.participating_owners)
            area_text = _("Agreeing owners hold %(part)s of the %(whole)s m² that took "
                          "part: not more than half.")
            owner_text = _("%(part)s of the %(whole)s owners who took part agree: not more "
                           "than half.")
        if tally.quorum_met and not area_ok:
            reasons.append(area_text % {"part": tally.agree_area,
                                        "whole": tally.participating_area})
        if tally.quorum_met and not owners_ok:
            reasons.append(owner_text % {"part": tally.agree_owners,
                                         "whole": tally.participating_owners})
        passed = tally.quorum_met and area_ok and owners_ok

    if topic.kind == TopicKind.ELEVATOR:
        tally.affected_not_agreeing = list(affected_not_agreeing)
        if tally.affected_not_agreeing:
            reasons.append(
                _("Every affected dwelling must agree; not yet: %(dwellings)s.")
                % {"dwellings": "、".join(tally.affected_not_agreeing)}
            )
            passed = False
    tally.passed = passed
    return tally


def renovation_plan_passed(*, compound_id: int) -> bool:
    """Has a `renovation_plan` topic of this compound passed its vote? (The programme
    asks before a project may enter `approved`.)"""
    topics = Topic.objects.filter(compound_id=compound_id, kind=TopicKind.RENOVATION_PLAN)
    return any(topic_tally(topic=topic).passed for topic in topics)
