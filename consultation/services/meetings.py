"""Writes of the meetings: schedule, change, record the minutes, cancel. Keyword-only,
validated field by field (every bad field at once), atomic; every step writes a
MeetingEvent. The area gate first: another area's meeting is a 404, another area's
compound a field error."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import User
from compounds.selectors import compounds_visible_to
from compounds.validation import Errors, add_error, as_id
from consultation.models.meetings import (
    AttendanceRole,
    Meeting,
    MeetingAttendance,
    MeetingEvent,
    MeetingEventKind,
)
from consultation.selectors.meetings import invitable_staff, meetings_visible_to
from consultation.selectors.topics import topics_visible_to
from consultation.services.rows import locked_or_404

# The most people of one kind a meeting records; more is a typing slip.
MAX_COUNT = 99999
EDITABLE = ("type", "title", "starts_at", "ends_at", "place", "topic_ids", "invitee_ids")


def attendance_field(role: str) -> str:
    """The error key (and form field) of one role's head count: `attendance_<role>`."""
    return f"attendance_{role}"


def _ids(errors: Errors, field: str, values: Iterable[Any] | None) -> set[int]:
    ids, bad = set(), []
    for value in values or ():
        pk = as_id(value)
        if pk is None or pk <= 0:
            bad.append(str(value))
        else:
            ids.add(pk)
    if bad:
        add_error(errors, field, _("Not a valid choice: %(values)s.") % {"values": ", ".join(bad)})
    return ids


def _listing(ids: Iterable[int]) -> str:
    return ", ".join(f"#{pk}" for pk in sorted(ids))


def _topics(errors: Errors, *, by: User, compound_id: int | None, topic_ids) -> list:
    wanted = _ids(errors, "topics", topic_ids)
    if not wanted or compound_id is None:
        return []
    topics = list(topics_visible_to(by).filter(pk__in=wanted, compound_id=compound_id))
    other = wanted - {t.pk for t in topics}
    if other:
        add_error(errors, "topics", _("These topics are not topics of the meeting's compound: "
                                      "%(ids)s.") % {"ids": _listing(other)})
    return topics


def _invitees(errors: Errors, *, invitee_ids) -> list[User]:
    """Any active staff account may be invited (district, subdistrict, community): a
    meeting often brings in people from above the compound's own community."""
    wanted = _ids(errors, "invitees", invitee_ids)
    if not wanted:
        return []
    staff = list(invitable_staff().filter(pk__in=wanted))
    other = wanted - {u.pk for u in staff}
    if other:
        add_error(errors, "invitees", _("Only active staff accounts can be invited; not: "
                                        "%(ids)s.") % {"ids": _listing(other)})
    return staff


def _times(errors: Errors, meeting: Meeting) -> None:
    for name in ("starts_at", "ends_at"):
        value = getattr(meeting, name)
        if name in errors or value is None:
            continue
        if not isinstance(value, datetime):
            add_error(errors, name, _("Give a date and time."))
        elif timezone.is_naive(value):
            add_error(errors, name, _("Give the time with its time zone."))
    if errors.keys() & {"starts_at", "ends_at"} or meeting.starts_at is None:
        return
    if meeting.ends_at is not None and meeting.ends_at <= meeting.starts_at:
        add_error(errors, "ends_at", _("A meeting ends after it starts."))
    if meeting.has_minutes and meeting.starts_at > timezone.now():
        add_error(errors, "starts_at", _("Its minutes are recorded: the meeting cannot start "
                                         "in the future."))


def _check(meeting: Meeting, errors: Errors) -> None:
    meeting.title = (meeting.title or "").strip()
    meeting.place = (meeting.place or "").strip()
    try:
        meeting.full_clean(exclude=[*errors, "compound", "created_by"], validate_unique=False,
                           validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    _times(errors, meeting)


def _event(meeting: Meeting, kind: str, by: User, note: str = "") -> None:
    MeetingEvent.objects.create(meeting=meeting, kind=kind, by=by, note=note)


@transaction.atomic
def meeting_schedule(
    *,
    by: User,
    compound_id: int,
    type: str,
    title: str,
    starts_at: datetime,
    place: str,
    ends_at: datetime | None = None,
    topic_ids: Iterable[int] = (),
    invitee_ids: Iterable[int] = (),
) -> Meeting:
    """Put a meeting of a compound in the user's area on the calendar. It may be in the
    past: a meeting held before it was entered is scheduled, then its minutes recorded."""
    errors: Errors = {}
    pk = as_id(compound_id)
    compound = compounds_visible_to(by).filter(pk=pk).first() if pk else None
    if compound is None:
        add_error(errors, "compound", _("Choose a compound in your area."))
    topics = _topics(errors, by=by, compound_id=compound and compound.pk, topic_ids=topic_ids)
    invitees = _invitees(errors, invitee_ids=invitee_ids)
    meeting = Meeting(compound=compound, type=type, title=title, starts_at=starts_at,
                      ends_at=ends_at, place=place, created_by=by)
    _check(meeting, errors)
    if errors:
        raise ValidationError(errors)
    meeting.save()
    meeting.topics.set(topics)
    meeting.invitees.set(invitees)
    _event(meeting, MeetingEventKind.SCHEDULED, by)
    return meeting


def _locked(*, by: User, meeting_id: Any) -> Meeting:
    return locked_or_404(meetings_visible_to(by), meeting_id, what="meeting")


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


@transaction.atomic
def meeting_update(*, by: User, meeting_id: int, data: Mapping[str, Any]) -> Meeting:
    """Change a meeting's type, title, time, place, topics or invitees (only the keys
    given). The history records what changed, from what, to what."""
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    meeting = _locked(by=by, meeting_id=meeting_id)
    if meeting.is_cancelled:
        raise ApplicationError(_("This meeting was cancelled: it can no longer be changed."),
                               status_code=409)
    errors: Errors = {}
    before = {name: getattr(meeting, name) for name in EDITABLE[:5]}
    for name in EDITABLE[:5]:
        if name in data:
            setattr(meeting, name, data[name])
    topics = invitees = None
    if "topic_ids" in data:
        topics = _topics(errors, by=by, compound_id=meeting.compound_id,
                         topic_ids=data["topic_ids"])
    if "invitee_ids" in data:
        invitees = _invitees(errors, invitee_ids=data["invitee_ids"])
    _check(meeting, errors)
    if errors:
        raise ValidationError(errors)

    changes = []
    for name, old in before.items():
        new = getattr(meeting, name)
        if new == old:
            continue
        label = Meeting._meta.get_field(name).verbose_name
        if name in ("starts_at", "ends_at"):
            old, new = _when(old), _when(new)
        elif name == "type":
            old, new = Meeting(type=old).get_type_display(), meeting.get_type_display()
        changes.append(f"{label}: {old} → {new}")
    if topics is not None and {t.pk for t in topics} != set(
        meeting.topics.values_list("pk", flat=True)
    ):
        meeting.topics.set(topics)
        changes.append(_("topics: %(titles)s") % {
            "titles": "、".join(t.title for t in topics) or "—"})
    if invitees is not None and {u.pk for u in invitees} != set(
        meeting.invitees.values_list("pk", flat=True)
    ):
        meeting.invitees.set(invitees)
        changes.append(_("invited staff: %(names)s") % {
            "names": "、".join(u.get_full_name() or u.username for u in invitees) or "—"})
    if not changes:
        return meeting
    meeting.save()
    _event(meeting, MeetingEventKind.CHANGED, by, "\n".join(changes))
    return meeting


def _attendance(errors: Errors, attendance: Mapping[str, Any] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    attendance = attendance or {}
    unknown = sorted(str(role) for role in attendance if role not in AttendanceRole.values)
    if unknown:
        add_error(errors, "attendance", _("Unknown roles: %(roles)s.")
                  % {"roles": ", ".join(unknown)})
    for role in AttendanceRole.values:
        value = attendance.get(role)
        if value is None or value == "":
            continue
        field = attendance_field(role)
        try:
            count = int(str(value).strip()) if not isinstance(value, bool | float) else None
        except ValueError:
            count = None
        if count is None:
            add_error(errors, field, _("Give a whole number."))
        elif count < 0:
            add_error(errors, field, _("A head count cannot be negative."))
        elif count > MAX_COUNT:
            add_error(errors, field, _("At most %(max)s.") % {"max": MAX_COUNT})
        else:
            counts[role] = count
    bad = [role for role in AttendanceRole.values if attendance_field(role) in errors]
    if not unknown and not bad and not any(counts.values()):
        add_error(errors, "attendance",
                  _("Record how many people came: at least one in one of the roles."))
    return counts


@transaction.atomic
def meeting_record_minutes(
    *,
    by: User,
    meeting_id: int,
    attendance: Mapping[str, int],
    minutes: str,
    decisions: str = "",
) -> Meeting:
    """Record (or correct) what a meeting was: who came, a head count per role
    (`attendance`: {role: count}); the minutes (required); the decisions. Only once it
    has started, never for a cancelled one."""
    meeting = _locked(by=by, meeting_id=meeting_id)
    if meeting.is_cancelled:
        raise ApplicationError(_("This meeting was cancelled: it has no minutes."),
                               status_code=409)
    if meeting.starts_at > timezone.now():
        raise ApplicationError(
            _("This meeting has not started yet (it starts %(when)s): record its minutes "
              "once it is held.") % {"when": _when(meeting.starts_at)}, status_code=409)
    errors: Errors = {}
    counts = _attendance(errors, attendance)
    meeting.minutes = (minutes or "").strip()
    meeting.decisions = (decisions or "").strip()
    if not meeting.minutes:
        add_error(errors, "minutes", _("Write the minutes: what was discussed."))
    try:
        meeting.full_clean(exclude=[*errors, "compound", "created_by"],
                           validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field in ("minutes", "decisions"):
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    correction = meeting.has_minutes
    if not correction:
        meeting.minutes_recorded_at = timezone.now()
    meeting.save(update_fields=["minutes", "decisions", "minutes_recorded_at"])
    meeting.attendance.all().delete()
    MeetingAttendance.objects.bulk_create(
        MeetingAttendance(meeting=meeting, role=role, count=count)
        for role, count in counts.items()
    )
    _event(meeting, MeetingEventKind.MINUTES_RECORDED, by,
           _("Minutes corrected.") if correction else "")
    return meeting


@transaction.atomic
def meeting_cancel(*, by: User, meeting_id: int, reason: str) -> Meeting:
    """Call a meeting off, saying why. Cancelling it again changes nothing; a meeting
    whose minutes are recorded was held and cannot be cancelled."""
    meeting = _locked(by=by, meeting_id=meeting_id)
    if meeting.is_cancelled:
        return meeting
    if meeting.has_minutes:
        raise ApplicationError(_("This meeting was held (its minutes are recorded): it "
                                 "cannot be cancelled."), status_code=409)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("At most %(max)s characters.") % {"max": 1000}})
    meeting.cancelled_at = timezone.now()
    meeting.cancel_reason = reason
    meeting.save(update_fields=["cancelled_at", "cancel_reason"])
    _event(meeting, MeetingEventKind.CANCELLED, by, reason)
    return meeting
