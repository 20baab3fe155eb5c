"""Handling residents' issues: the state machine (TRANSITIONS), assignment to a party at a
level of the ladder, replies, merges, the resident's confirmation / rating / reopening,
and the two periodic jobs (escalation of missed deadlines, closing 7 days after
resolution). Keyword-only, validated field by field, atomic; staff reach an issue
through the area gate, residents through its tracking code. Every move leaves a
GrievanceEvent.

Resolving needs a public reply the resident can read: pass it as `reply` to
`grievance_transition(..., to="resolved", reply=...)` (it is written as a public Reply in
the same transaction), or write it first with `grievance_reply`; a public reply written
since the issue was last assigned or reopened is then enough.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Compound, User
from compounds.selectors import area_q
from compounds.statemachine import check_move
from compounds.validation import Errors, add_error, as_id
from grievances.models import (
    OPEN_STATUSES,
    PARTIES_BY_LEVEL,
    TRANSITIONS,
    EventKind,
    Grievance,
    Level,
    Party,
    Priority,
    Rating,
    Reply,
    Status,
)
from grievances.selectors import deadline_for, grievances_visible_to, normalize_code
from grievances.services.jobs import CLOSE_AFTER_DAYS
from grievances.services.support import label, notify, notify_staff, record_event

REOPEN_DAYS = 7  # the resident may reopen within 7 days of the resolution
REPLY_MAX = 2000
NOTE_MAX = 2000
REASON_MAX = 500
COMMENT_MAX = 500
PARTY_NAME_MAX = 80
# Moves that have their own service (they need more than a note).
_OWN_SERVICE = {Status.ASSIGNED: "grievance_assign", Status.MERGED: "grievance_merge"}
ASSIGNABLE_FROM = (Status.RECEIVED, Status.ACCEPTED, Status.REOPENED, Status.ASSIGNED)


# ---------------------------------------------------------------- helpers

def _locked(*, by: User, grievance_id) -> Grievance:
    pk = as_id(grievance_id)
    grievance = None
    if pk is not None:
        grievance = (grievances_visible_to(by).select_for_update(of=("self",))
                     .select_related("compound", "category").filter(pk=pk).first())
    if grievance is None:
        raise Http404("grievance not found")
    return grievance


def _locked_by_code(tracking_code: str) -> Grievance:
    code = normalize_code(tracking_code)
    grievance = (Grievance.objects.select_for_update().filter(tracking_code=code).first()
                 if code else None)
    if grievance is None:
        raise Http404("tracking code not found")
    return grievance


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _has_public_reply_since_assignment(grievance: Grievance) -> bool:
    since = (grievance.events.filter(
        Q(kind=EventKind.ASSIGNED) | Q(to_status=Status.REOPENED))
        .order_by("-at", "-id").values_list("at", flat=True).first())
    replies = grievance.replies.filter(public=True)
    if since is not None:
        replies = replies.filter(at__gte=since)
    return replies.exists()


# ---------------------------------------------------------------- staff moves

@transaction.atomic
def grievance_transition(*, by: User, grievance_id, to: str, note: str = "",
                         reply: str = "") -> Grievance:
    """Move an issue along TRANSITIONS. A repeat does nothing; an illegal or unknown move
    raises ApplicationError 400 with `allowed`. `rejected` needs `note` (the reason, shown
    to the resident); `resolved` needs a public reply (`reply`, or one already written
    since the last assignment / reopening). Assigning and merging have their own
    services; closing is the resident's (or the 7-day job's). Reopening by staff needs
    a note."""
    grievance = _locked(by=by, grievance_id=grievance_id)
    current = grievance.status
    if not check_move(current=current, target=to, transitions=TRANSITIONS, choices=Status):
        return grievance
    if to in _OWN_SERVICE:
        raise ApplicationError(
            _("Use the assignment or merge form for this move."),
            extra={"allowed": list(TRANSITIONS.get(current, ()))},
        )
    if to == Status.CLOSED:
        raise ApplicationError(
            _("An issue closes when the resident confirms it, or %(days)s days after it "
              "was resolved.") % {"days": CLOSE_AFTER_DAYS},
            extra={"allowed": list(TRANSITIONS.get(current, ()))},
        )
    note, reply = _text(note), _text(reply)
    errors: Errors = {}
    if len(note) > NOTE_MAX:
        add_error(errors, "note", _("At most %(max)s characters.") % {"max": NOTE_MAX})
    if to == Status.REJECTED and not note:
        add_error(errors, "note", _("Give the reason for the rejection: the resident "
                                    "reads it."))
    if to == Status.REOPENED and not note:
        add_error(errors, "note", _("Say why the issue is reopened."))
    if len(reply) > REPLY_MAX:
        add_error(errors, "reply", _("At most %(max)s characters.") % {"max": REPLY_MAX})
    if to == Status.RESOLVED and not reply and not _has_public_reply_since_assignment(grievance):
        add_error(errors, "reply", _("Write the public reply the resident will read before "
                                     "resolving the issue."))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    if to == Status.RESOLVED and reply:
        Reply.objects.create(grievance=grievance, text=reply, public=True, by=by, at=now)
        record_event(grievance, EventKind.REPLIED, by=by, at=now)
    grievance.status = to
    if to == Status.RESOLVED:
        grievance.resolved_at = now
    elif to == Status.REOPENED:
        grievance.resolved_at = None
        grievance.due_at = deadline_for(level=grievance.level, priority=grievance.priority,
                                        start=now)
    grievance.save(update_fields=["status", "resolved_at", "due_at", "updated_at"])
    record_event(grievance, EventKind.STATUS, by=by, at=now, from_status=current, to_status=to,
           note=note)
    if to == Status.RESOLVED:
        _tell_resident_resolved(grievance)
    return grievance


def _tell_resident_resolved(grievance: Grievance) -> None:
    if not (grievance.reporter_phone and grievance.consent_contact):
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Your report %(code)s has been answered and marked resolved. Please confirm "
                 "and rate it, or reopen it within %(days)s days.") % {
            "code": grievance.tracking_code, "days": REOPEN_DAYS}
    notify(grievance=grievance, channel="sms", to=grievance.reporter_phone, text=text,
            key=f"resolved:{grievance.pk}:{int(grievance.resolved_at.timestamp())}")


def _assignee(errors: Errors, *, assignee_id, compound: Compound) -> User | None:
    if assignee_id in (None, ""):
        return None
    pk = as_id(assignee_id)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk is not None else None
    covers = user is not None and (user.is_superuser or user.role) and (
        Compound.objects.filter(area_q(user), pk=compound.pk).exists())
    if not covers:
        add_error(errors, "assignee", _("Choose a staff member whose area covers this "
                                        "compound."))
        return None
    return user


@transaction.atomic
def grievance_assign(*, by: User, grievance_id, level: str, party: str, party_name: str = "",
                     assignee_id=None, priority: str | None = None,
                     note: str = "") -> Grievance:
    """Hand an issue to a responsible party at a level of the ladder (and optionally a
    staff member whose area covers the compound); also reassigns. From received (accepted
    on the way), accepted, reopened or assigned. The deadline is computed from the
    DeadlineRule of the level and priority, from now. Field errors: level, party,
    party_name, assignee, priority, note."""
    grievance = _locked(by=by, grievance_id=grievance_id)
    current = grievance.status
    if current not in ASSIGNABLE_FROM:
        raise ApplicationError(
            _("An issue that is “%(status)s” cannot be assigned.")
            % {"status": label(Status, current)},
            extra={"allowed": list(TRANSITIONS.get(current, ()))},
        )
    errors: Errors = {}
    level, party, party_name, note = _text(level), _text(party), _text(party_name), _text(note)
    if level not in Level.values:
        add_error(errors, "level", _("Choose the level."))
    elif party not in PARTIES_BY_LEVEL[level]:
        add_error(errors, "party", _("At the %(level)s level the responsible party is one of: "
                                     "%(parties)s.") % {
            "level": label(Level, level),
            "parties": "、".join(label(Party, p) for p in PARTIES_BY_LEVEL[level])})
    if len(party_name) > PARTY_NAME_MAX:
        add_error(errors, "party_name", _("At most %(max)s characters.") % {"max": PARTY_NAME_MAX})
    if priority in (None, ""):
        priority = grievance.priority
    elif priority not in Priority.values:
        add_error(errors, "priority", _("Choose the priority."))
    if len(note) > NOTE_MAX:
        add_error(errors, "note", _("At most %(max)s characters.") % {"max": NOTE_MAX})
    assignee = _assignee(errors, assignee_id=assignee_id, compound=grievance.compound)
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    if current == Status.RECEIVED:  # accepted on the way: the history shows both moves
        record_event(grievance, EventKind.STATUS, by=by, at=now, from_status=current,
               to_status=Status.ACCEPTED)
        current = Status.ACCEPTED
    from_level = grievance.level
    grievance.status = Status.ASSIGNED
    grievance.level, grievance.party, grievance.party_name = level, party, party_name
    grievance.assignee, grievance.priority = assignee, priority
    grievance.due_at = deadline_for(level=level, priority=priority, start=now)
    grievance.save(update_fields=["status", "level", "party", "party_name", "assignee",
                                  "priority", "due_at", "updated_at"])
    record_event(grievance, EventKind.ASSIGNED, by=by, at=now, from_status=current,
           to_status=Status.ASSIGNED, from_level=from_level, to_level=level, note=note)
    return grievance


@transaction.atomic
def grievance_reply(*, by: User, grievance_id, text: str, public: bool = True) -> Reply:
    """A public reply (the resident reads it on the tracking page) or an internal note.
    A merged issue takes no public reply: answer the surviving issue, whose replies its
    reporter sees too."""
    grievance = _locked(by=by, grievance_id=grievance_id)
    text = _text(text)
    if public and grievance.status == Status.MERGED:
        raise ApplicationError(
            _("This issue was merged into %(code)s: reply there, its reporter sees it too.")
            % {"code": grievance.merged_into.tracking_code})
    if not text:
        raise ValidationError({"text": [_("Write the reply.")]})
    if len(text) > REPLY_MAX:
        raise ValidationError({"text": [_("At most %(max)s characters.") % {"max": REPLY_MAX}]})
    now = timezone.now()
    reply = Reply.objects.create(grievance=grievance, text=text, public=bool(public), by=by,
                                 at=now)
    record_event(grievance, EventKind.REPLIED, by=by, at=now)
    return reply


@transaction.atomic
def grievance_merge(*, by: User, grievance_id, into_id) -> Grievance:
    """Mark an issue a duplicate of another open issue of the same compound: it becomes
    `merged` (merged_into = the survivor), its reporter follows the survivor's public
    replies, and both timelines say so. Issues merged into the duplicate earlier move
    to the survivor (merges stay one level deep)."""
    pk, into_pk = as_id(grievance_id), as_id(into_id)
    if pk is not None and pk == into_pk:
        raise ValidationError({"into": [_("An issue cannot be merged into itself.")]})
    # Both rows locked in id order, so two opposite merges cannot deadlock.
    locked = {g.pk: g for g in grievances_visible_to(by).select_for_update(of=("self",))
              .filter(pk__in=[p for p in (pk, into_pk) if p is not None]).order_by("pk")}
    duplicate = locked.get(pk)
    if duplicate is None:
        raise Http404("grievance not found")
    if not check_move(current=duplicate.status, target=Status.MERGED,
                      transitions=TRANSITIONS, choices=Status):
        if duplicate.merged_into_id == into_pk:  # a repeat of the same merge
            return duplicate
        raise ApplicationError(_("This issue is already merged into another one."))
    survivor = locked.get(into_pk)
    if survivor is None:
        raise ValidationError({"into": [_("No such issue.")]})
    if survivor.compound_id != duplicate.compound_id:
        raise ValidationError({"into": [_("Only an issue of the same compound can be merged "
                                          "into.")]})
    if survivor.status not in OPEN_STATUSES:
        raise ValidationError({"into": [_("The issue merged into must still be open.")]})

    now = timezone.now()
    current = duplicate.status
    duplicate.status, duplicate.merged_into = Status.MERGED, survivor
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    Grievance.objects.filter(merged_into=duplicate).update(merged_into=survivor, updated_at=now)
    with translation.override(settings.LANGUAGE_CODE):
        into_note = _("Merged into %(code)s.") % {"code": survivor.tracking_code}
        from_note = _("%(code)s merged into this issue.") % {"code": duplicate.tracking_code}
    record_event(duplicate, EventKind.MERGED, by=by, at=now, from_status=current,
           to_status=Status.MERGED, note=into_note)
    record_event(survivor, EventKind.MERGED, by=by, at=now, note=from_note)
    return duplicate


# ---------------------------------------------------------------- the resident

@transaction.atomic
def grievance_confirm(*, tracking_code: str, rating: str, comment: str = "") -> Grievance:
    """The resident confirms a resolved issue and rates the handling: it closes. A
    repeat (already rated and closed) changes nothing."""
    grievance = _locked_by_code(tracking_code)
    if grievance.status == Status.CLOSED and grievance.rated_at:
        return grievance
    if grievance.status != Status.RESOLVED:
        raise ApplicationError(
            _("Only a resolved issue can be confirmed and rated; this one is “%(status)s”.")
            % {"status": label(Status, grievance.status)})
    rating, comment = _text(rating), _text(comment)
    errors: Errors = {}
    if rating not in Rating.values:
        add_error(errors, "rating", _("Choose how satisfied you are."))
    if len(comment) > COMMENT_MAX:
        add_error(errors, "comment", _("At most %(max)s characters.") % {"max": COMMENT_MAX})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    grievance.rating, grievance.rating_comment, grievance.rated_at = rating, comment, now
    grievance.status, grievance.closed_at = Status.CLOSED, now
    grievance.save(update_fields=["rating", "rating_comment", "rated_at", "status",
                                  "closed_at", "updated_at"])
    record_event(grievance, EventKind.RATED, at=now, from_status=Status.RESOLVED,
           to_status=Status.CLOSED, note=label(Rating, rating))
    return grievance


@transaction.atomic
def grievance_reopen(*, tracking_code: str, reason: str) -> Grievance:
    """The resident says it is not fixed: within 7 days of the resolution the issue is
    reopened at its level with a new deadline, and the assignee is told."""
    grievance = _locked_by_code(tracking_code)
    if grievance.status != Status.RESOLVED:
        raise ApplicationError(
            _("Only a resolved issue can be reopened; this one is “%(status)s”.")
            % {"status": label(Status, grievance.status)})
    now = timezone.now()
    if grievance.resolved_at and now > grievance.resolved_at + timedelta(days=REOPEN_DAYS):
        raise ApplicationError(
            _("More than %(days)s days have passed since this issue was resolved, so it can "
              "no longer be reopened. Please submit a new report.") % {"days": REOPEN_DAYS})
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Tell us what is still wrong.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(max)s characters.")
                                          % {"max": REASON_MAX}]})
    grievance.status, grievance.resolved_at = Status.REOPENED, None
    grievance.due_at = deadline_for(level=grievance.level, priority=grievance.priority,
                                    start=now)
    grievance.save(update_fields=["status", "resolved_at", "due_at", "updated_at"])
    event = record_event(grievance, EventKind.STATUS, at=now, from_status=Status.RESOLVED,
                   to_status=Status.REOPENED, note=reason)
    if grievance.assignee_id:
        with translation.override(settings.LANGUAGE_CODE):
            text = _("The resident reopened issue %(code)s: %(reason)s") % {
                "code": grievance.tracking_code, "reason": reason}
        notify_staff(grievance=grievance, user=grievance.assignee, text=text,
                      key=f"reopened:{grievance.pk}:{event.pk}")
    return grievance
