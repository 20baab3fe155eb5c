"""Reads of online voting with household codes: how many slips are out, used, revoked,
and each dwelling's state. Constant queries whatever the topic's size."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from compounds.models import Dwelling
from consultation.models import Topic
from consultation.models.codes import HouseholdCode
from consultation.selectors.topics import eligible_dwellings


@dataclass(frozen=True)
class CodeSummary:
    dwellings: int  # in the topic's scope
    voted_online: int  # dwellings whose code has been used
    live: int
    used: int
    revoked: int

    @property
    def without_used_code(self) -> int:
        return self.dwellings - self.voted_online


def dwelling_label(dwelling: Dwelling) -> str:
    """Building-unit-number, as a slip and the vote page show a dwelling (never its owner).
    The dwelling's building must be loaded."""
    return _("Building %(building)s, unit %(unit)s, no. %(number)s") % {
        "building": dwelling.building.number, "unit": dwelling.unit, "number": dwelling.number}


def _used(topic: Topic):
    return HouseholdCode.objects.filter(topic=topic, dwelling=OuterRef("pk"),
                                        used_at__isnull=False)


def code_summary(*, topic: Topic) -> CodeSummary:
    """Dwellings in scope, those that voted with a code, and codes by state: two queries."""
    dwellings = eligible_dwellings(topic).annotate(has_used=Exists(_used(topic))).aggregate(
        total=Count("id"), voted=Count("id", filter=Q(has_used=True)))
    codes = HouseholdCode.objects.filter(topic=topic).aggregate(
        live=Count("id", filter=Q(used_at__isnull=True, revoked_at__isnull=True)),
        used=Count("id", filter=Q(used_at__isnull=False)),
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
    )
    return CodeSummary(dwellings=dwellings["total"], voted_online=dwellings["voted"], **codes)


def code_rows(*, topic: Topic) -> QuerySet[Dwelling]:
    """Every dwelling in scope with its live code's issue time and when it voted with a
    code (None when not): one query."""
    live = HouseholdCode.objects.filter(topic=topic, dwelling=OuterRef("pk"),
                                        used_at__isnull=True, revoked_at__isnull=True)
    return (
        eligible_dwellings(topic).select_related("building")
        .annotate(
            live_issued_at=Subquery(live.values("issued_at")[:1]),
            code_used_at=Subquery(_used(topic).order_by("-used_at").values("used_at")[:1]),
        )
    )


def dwellings_without_used_code(*, topic: Topic) -> list[int]:
    """The dwellings in scope that have not voted with a code yet (one query)."""
    return list(eligible_dwellings(topic).exclude(Exists(_used(topic)))
                .values_list("pk", flat=True))
