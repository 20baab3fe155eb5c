"""Reads of the golden ideas: the area gate, the staff list, one idea with its history
and the work items it became, and the public list (no personal data, ever).

The work items are renewal's: consultation never imports renewal, so it reads them
only through the reverse relation renewal declares (`WorkItem.idea`, related_name
`work_items`)."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from compounds.models import User
from compounds.selectors import area_q
from consultation.models.ideas import Idea, IdeaEvent, IdeaStatus

_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def ideas_visible_to(user: User) -> QuerySet[Idea]:
    """The area gate for ideas: an idea is visible when its compound is."""
    return Idea.objects.filter(area_q(user, compound_path="compound__"))


def idea_list(*, user: User) -> QuerySet[Idea]:
    """The user's ideas, newest first, with compound and building: one query a page."""
    return (
        ideas_visible_to(user)
        .select_related("compound__community", "building")
        .order_by("-created_at", "-id")
    )


def _work_items() -> Prefetch:
    # The model behind the reverse relation, found through it: no import of renewal.
    work_item = Idea._meta.get_field("work_items").related_model
    return Prefetch(
        "work_items",
        queryset=work_item.objects.select_related("type", "project").order_by("id"),
    )


def idea_get_visible(*, user: User, idea_id: int) -> Idea:
    """One idea the user may see with its history and the work items it became
    (a fixed number of queries), or 404."""
    idea = (
        ideas_visible_to(user)
        .select_related("compound__community__subdistrict", "building", "created_by")
        .prefetch_related(
            Prefetch("events", queryset=IdeaEvent.objects.select_related("by")),
            _work_items(),
        )
        .filter(pk=idea_id)
        .first()
    )
    if idea is None:
        raise Http404("idea not found")
    return idea


def mask_mobiles(text: str) -> str:
    """A mobile number someone typed into their idea, hidden: 13812345678 → 138****5678."""
    return _MOBILE_IN_TEXT.sub(r"\1****\2", text)


@dataclass(frozen=True)
class PublicIdea:
    """What the public page may show of an idea: never its author's name or phone."""

    id: int
    text: str
    status: str
    status_label: str
    building: str
    received_on: datetime
    reason: str
    became: tuple[str, ...]


def public_ideas(*, compound_id: int) -> QuerySet[Idea]:
    """A compound's ideas for the public page, newest first, loading only what may be
    shown (never the author's name or phone) plus the types of the work items the
    adopted ones became."""
    work_item = Idea._meta.get_field("work_items").related_model
    return (
        Idea.objects.filter(compound_id=compound_id)
        .select_related("building")
        .only("id", "compound_id", "text", "status", "public_reason", "created_at",
              "building__number")
        .prefetch_related(Prefetch(
            "work_items",
            queryset=work_item.objects.exclude(status="cancelled").select_related("type")
            .only("id", "idea_id", "type__name").order_by("id"),
        ))
        .order_by("-created_at", "-id")
    )


def as_public(idea: Idea) -> PublicIdea:
    return PublicIdea(
        id=idea.pk,
        text=mask_mobiles(idea.text),
        status=idea.status,
        status_label=str(IdeaStatus(idea.status).label),
        building=idea.building.number if idea.building_id else "",
        received_on=idea.created_at,
        reason=mask_mobiles(idea.public_reason) if idea.status == IdeaStatus.NOT_ADOPTED
        else "",
        became=tuple(dict.fromkeys(w.type.name for w in idea.work_items.all()))
        if idea.status == IdeaStatus.ADOPTED else (),
    )


def idea_status_counts(*, compound_id: int) -> dict[str, int]:
    """How many of a compound's ideas are in each state, plus `total` (one query)."""
    totals = Idea.objects.filter(compound_id=compound_id).aggregate(
        total=Count("id"),
        **{status: Count("id", filter=Q(status=status)) for status in IdeaStatus.values},
    )
    return {key: value or 0 for key, value in totals.items()}
