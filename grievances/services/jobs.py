"""The ladder's periodic jobs (Celery beat): an open issue past its deadline climbs one
level (小事不出小区、大事不出社区、难事不出镇街), and a resolved issue nobody confirmed closes
after 7 days. Both take batches of locked rows (skip_locked), so two runs at once never
do the same work twice and a second run finds nothing left to do."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grievances.models import (
    LADDER,
    OPEN_STATUSES,
    PARTIES_BY_LEVEL,
    EventKind,
    Grievance,
    GrievanceEvent,
    Level,
    Party,
    Status,
)
from grievances.selectors import deadline_for
from grievances.services.support import label, notify_staff, record_event

MOTTO = "小事不出小区、大事不出社区、难事不出镇街"
CLOSE_AFTER_DAYS = 7  # a resolved issue nobody confirmed closes by itself
BATCH = 200


def _office_name(grievance: Grievance, level: str) -> str:
    community = grievance.compound.community
    if level == Level.COMMUNITY:
        return community.name
    if level == Level.SUBDISTRICT:
        return community.subdistrict.name
    return ""


def _who_missed(grievance: Grievance) -> str:
    if grievance.assignee is not None:
        return grievance.assignee.get_full_name() or grievance.assignee.username
    if grievance.party:
        return " ".join(p for p in (label(Party, grievance.party), grievance.party_name) if p)
    return label(Level, grievance.level)


def _climb(grievance: Grievance, *, now: datetime) -> None:
    from_level = grievance.level
    to_level = LADDER[LADDER.index(from_level) + 1]
    former = grievance.assignee
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(who)s missed the deadline (%(due)s) at the %(level)s level; the issue "
                 "passes to the %(to)s level. %(motto)s") % {
            "who": _who_missed(grievance),
            "due": timezone.localtime(grievance.due_at).strftime("%Y-%m-%d %H:%M"),
            "level": label(Level, from_level), "to": label(Level, to_level), "motto": MOTTO}
    grievance.level = to_level
    grievance.party = PARTIES_BY_LEVEL[to_level][0]
    grievance.party_name = _office_name(grievance, to_level)
    grievance.assignee = None
    grievance.due_at = deadline_for(level=to_level, priority=grievance.priority, start=now)
    grievance.save(update_fields=["level", "party", "party_name", "assignee", "due_at",
                                  "updated_at"])
    record_event(grievance, EventKind.ESCALATED, at=now, from_level=from_level, to_level=to_level,
           note=note)
    notify_staff(grievance=grievance, user=former, text=note,
                  key=f"escalated:{grievance.pk}:{from_level}")


def _flag_at_top(grievance: Grievance, *, now: datetime) -> None:
    """Overdue at the district: nowhere left to climb. One ESCALATED event (district →
    district) per missed deadline marks it, and the assignee is told once."""
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(who)s missed the deadline (%(due)s) at the district level, the top of "
                 "the ladder. %(motto)s") % {
            "who": _who_missed(grievance),
            "due": timezone.localtime(grievance.due_at).strftime("%Y-%m-%d %H:%M"),
            "motto": MOTTO}
    record_event(grievance, EventKind.ESCALATED, at=now, from_level=Level.DISTRICT,
           to_level=Level.DISTRICT, note=note)
    notify_staff(grievance=grievance, user=grievance.assignee, text=note,
                  key=f"overdue:{grievance.pk}:{int(grievance.due_at.timestamp())}")


def _overdue(now: datetime):
    return (Grievance.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("assignee", "compound__community__subdistrict")
            .order_by("due_at", "id"))


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Every open issue past its deadline below the district climbs ONE level: the
    level's office becomes responsible, the assignee is cleared, a new deadline runs
    from `now`, an ESCALATED event names who missed it, and the one who missed it is
    told (Outbox, once per issue and level). Overdue issues at the district stay and are
    flagged once per deadline. Batches of locked rows (skip_locked): two runs at once
    never climb the same issue twice, and a second run finds nothing left to do.
    Returns the number of issues that climbed."""
    now = now or timezone.now()
    climbed = 0
    while True:
        with transaction.atomic():
            batch = list(_overdue(now).exclude(level=Level.DISTRICT)[:BATCH])
            for grievance in batch:
                _climb(grievance, now=now)
        climbed += len(batch)
        if len(batch) < BATCH:
            break
    flagged_already = GrievanceEvent.objects.filter(
        grievance=OuterRef("pk"), kind=EventKind.ESCALATED, from_level=Level.DISTRICT,
        to_level=Level.DISTRICT, at__gte=OuterRef("due_at"))
    while True:
        with transaction.atomic():
            batch = list(_overdue(now).filter(level=Level.DISTRICT)
                         .exclude(Exists(flagged_already))[:BATCH])
            for grievance in batch:
                _flag_at_top(grievance, now=now)
        if len(batch) < BATCH:
            break
    return climbed


def close_resolved(*, now: datetime | None = None) -> int:
    """Close every issue resolved at least 7 days ago that the resident neither
    confirmed nor reopened. Idempotent; returns how many closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=CLOSE_AFTER_DAYS)
    closed = 0
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Closed automatically %(days)s days after it was resolved.") % {
            "days": CLOSE_AFTER_DAYS}
    while True:
        with transaction.atomic():
            batch = list(Grievance.objects.filter(status=Status.RESOLVED,
                                                  resolved_at__lte=cutoff)
                         .select_for_update(skip_locked=True).order_by("resolved_at", "id")
                         [:BATCH])
            for grievance in batch:
                grievance.status, grievance.closed_at = Status.CLOSED, now
                grievance.save(update_fields=["status", "closed_at", "updated_at"])
                record_event(grievance, EventKind.STATUS, at=now, from_status=Status.RESOLVED,
                       to_status=Status.CLOSED, note=note)
        closed += len(batch)
        if len(batch) < BATCH:
            break
    return closed
