"""What the handling services and the periodic jobs share: the timeline event, a
choice's label, and messages through the outbox (once per key, sent after commit)."""

from django.utils import timezone

from compounds.models import User
from grievances.models import Grievance, GrievanceEvent, Outbox


def record_event(grievance: Grievance, kind: str, *, by: User | None = None, at=None,
           **fields) -> GrievanceEvent:
    return GrievanceEvent.objects.create(grievance=grievance, kind=kind, by=by,
                                         at=at or timezone.now(), **fields)


def label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value))


def notify(*, grievance: Grievance | None, channel: str, to: str, text: str,
            key: str) -> None:
    """An Outbox row (once per key) and a send scheduled after commit."""
    if not to:
        return
    Outbox.objects.bulk_create(
        [Outbox(channel=channel, to=to[:120], text=text, dedupe_key=key[:120],
                grievance=grievance)],
        ignore_conflicts=True,
    )
    from grievances.tasks import enqueue_outbox_on_commit

    enqueue_outbox_on_commit()


def notify_staff(*, grievance: Grievance, user: User | None, text: str, key: str) -> None:
    """Tell a staff member: by e-mail when the account has one, else in the app."""
    if user is None:
        return
    if user.email:
        notify(grievance=grievance, channel="email", to=user.email, text=text, key=key)
    else:
        notify(grievance=grievance, channel="inapp", to=user.username, text=text, key=key)
