"""What a resident sees on the tracking page: status moves and public replies, never a
staff member's name, an internal note or anyone's contact details.

A merged (duplicate) issue shows the surviving issue's public replies and its status
moves since the merge: the reporter of the duplicate follows the one that is handled.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from grievances.models import EventKind, Grievance, GrievanceEvent, Reply, Status

# Status moves whose note was written for the resident: a rejection's reason, the
# resident's own reason to reopen.
PUBLIC_NOTE_STATUSES = (Status.REJECTED, Status.REOPENED)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "status" or "reply"
    status: str = ""  # the status moved to (kind "status")
    status_label: str = ""
    text: str = ""  # the reply, or the public reason of a rejection / reopening
    survivor: bool = False  # from the issue this one was merged into


def survivor_of(grievance: Grievance) -> Grievance:
    """The issue that is handled in place of `grievance`: itself, or the one it was
    merged into (merges are kept one level deep by grievance_merge)."""
    if grievance.status == Status.MERGED and grievance.merged_into_id:
        return grievance.merged_into
    return grievance


def public_replies(*, grievance: Grievance) -> QuerySet[Reply]:
    """The public replies the resident sees: this issue's and, for a merged one, the
    surviving issue's (one query)."""
    ids = {grievance.pk}
    if grievance.status == Status.MERGED and grievance.merged_into_id:
        ids.add(grievance.merged_into_id)
    return Reply.objects.filter(grievance_id__in=ids, public=True).order_by("at", "id")


def public_timeline(*, grievance: Grievance) -> list[TimelineEntry]:
    """Status moves and public replies in time order (two queries, however long)."""
    survivor_id = grievance.merged_into_id if grievance.status == Status.MERGED else None
    ids = {grievance.pk} | ({survivor_id} if survivor_id else set())
    labels = dict(Status.choices)
    events = list(
        GrievanceEvent.objects.filter(grievance_id__in=ids)
        .exclude(to_status="")
        .order_by("at", "id")
        .values("grievance_id", "kind", "to_status", "note", "at")
    )
    merged_at = next(
        (e["at"] for e in events
         if e["grievance_id"] == grievance.pk and e["kind"] == EventKind.MERGED),
        None,
    )
    entries = []
    for event in events:
        from_survivor = event["grievance_id"] != grievance.pk
        if from_survivor and (merged_at is None or event["at"] < merged_at):
            continue
        status = event["to_status"]
        entries.append(TimelineEntry(
            at=event["at"], kind="status", status=status,
            status_label=str(labels.get(status, status)),
            text=event["note"] if status in PUBLIC_NOTE_STATUSES else "",
            survivor=from_survivor,
        ))
    for reply in public_replies(grievance=grievance).values("grievance_id", "text", "at"):
        entries.append(TimelineEntry(at=reply["at"], kind="reply", text=reply["text"],
                                     survivor=reply["grievance_id"] != grievance.pk))
    entries.sort(key=lambda e: e.at)
    return entries
