"""Reads of the meetings: the area gate, the list (with head counts, in one query),
one meeting with everything its page shows, the staff who may be invited, and the
meetings the reminders look for (minutes missing, starting soon)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from compounds.models import User
from compounds.selectors import area_q
from consultation.models.meetings import (
    AttendanceRole,
    Meeting,
    MeetingAttendance,
    MeetingEvent,
)

# A meeting's minutes are due this long after it was held (the reminders nag after it).
MINUTES_GRACE = timedelta(days=2)


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    """The area gate for meetings: a meeting is visible when its compound is."""
    return Meeting.objects.filter(area_q(user, compound_path="compound__"))


def invitable_staff() -> QuerySet[User]:
    """Who may be invited to a meeting: any active staff account with a role (or an
    administrator), whatever its area."""
    return User.objects.filter(Q(is_active=True) & (~Q(role="") | Q(is_superuser=True)))


def _total(model, field: str, func) -> Subquery:
    rows = (
        model.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting")
        .annotate(total=func(field)).values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def meeting_list(*, user: User) -> QuerySet[Meeting]:
    """The user's meetings, newest first, each with its compound, its head count
    (`attendance_total`) and number of topics (`topic_count`): one query a page."""
    return (
        meetings_visible_to(user)
        .select_related("compound__community")
        .annotate(
            attendance_total=_total(MeetingAttendance, "count", Sum),
            topic_count=_total(Meeting.topics.through, "topic", Count),
        )
        .order_by("-starts_at", "-id")
    )


def meeting_get_visible(*, user: User, meeting_id: int) -> Meeting:
    """One meeting the user may see, with its topics, invitees, attendance and history
    (a fixed number of queries), or 404."""
    meeting = (
        meetings_visible_to(user)
        .select_related("compound__community__subdistrict", "created_by")
        .prefetch_related(
            "topics", "invitees", "attendance",
            Prefetch("events", queryset=MeetingEvent.objects.select_related("by")),
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise Http404("meeting not found")
    return meeting


@dataclass(frozen=True)
class AttendanceRow:
    role: str
    label: str
    count: int | None


def attendance_table(meeting: Meeting) -> list[AttendanceRow]:
    """Every role in order with its head count (None when not recorded); reads the
    prefetched attendance."""
    counts = {row.role: row.count for row in meeting.attendance.all()}
    return [AttendanceRow(role, str(label), counts.get(role))
            for role, label in AttendanceRole.choices]


def missing_minutes_q(*, now: datetime, grace: timedelta = timedelta(0)) -> Q:
    """Held (its end, or start when no end is given, at least `grace` before `now`),
    not cancelled, and no minutes recorded."""
    before = now - grace
    return (
        Q(minutes_recorded_at__isnull=True, cancelled_at__isnull=True)
        & (Q(ends_at__isnull=False, ends_at__lte=before)
           | Q(ends_at__isnull=True, starts_at__lte=before))
    )


def meetings_missing_minutes(*, now: datetime, grace: timedelta = MINUTES_GRACE,
                             ) -> QuerySet[Meeting]:
    """For the reminders: every meeting held more than two days (`grace`) before `now`
    whose minutes are still missing, oldest first, with its compound, who scheduled it
    and its invitees. Not scoped to a user: the reminder task decides whom to tell."""
    return (
        Meeting.objects.filter(missing_minutes_q(now=now, grace=grace))
        .select_related("compound__community", "created_by")
        .prefetch_related("invitees")
        .order_by("starts_at", "id")
    )


def meetings_starting_between(*, after: datetime, before: datetime) -> QuerySet[Meeting]:
    """For the day-before reminder: meetings not cancelled that start in (after, before],
    with their compound and invitees."""
    return (
        Meeting.objects.filter(cancelled_at__isnull=True, starts_at__gt=after,
                               starts_at__lte=before)
        .select_related("compound")
        .prefetch_related("invitees")
        .order_by("starts_at", "id")
    )
