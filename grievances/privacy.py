"""Reporters' personal data (PIPL): masked for everyone but the issue's assignee and
district staff; every unmasked read leaves a ContactView row (the audit log). Numbers
never go to the application log.

The masking itself is shared with the registry (compounds.privacy).
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Role, User
from compounds.privacy import mask_name, mask_phone
from grievances.models import ContactView, Grievance
from grievances.selectors import grievance_get_visible

__all__ = ["audit_contact_views", "contact_for", "mask_name", "mask_phone", "may_see_contact",
           "reveal_contact"]


def may_see_contact(*, user: User, grievance: Grievance) -> bool:
    """The unmasked name and phone are for the one who must call back (the assignee)
    and for district staff (and superusers); everyone else sees them masked."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.role == Role.DISTRICT:
        return True
    return bool(grievance.assignee_id and grievance.assignee_id == user.pk)


def _audit(*, user: User, grievance: Grievance, where: str) -> None:
    ContactView.objects.create(grievance=grievance, user=user, where=(where or "")[:40])


def contact_for(*, user: User, grievance: Grievance,
                where: str = "detail") -> tuple[str, str, bool]:
    """(name, phone, masked) of the reporter as `user` may see them. Unmasked only for
    may_see_contact, and then a ContactView row is written (`where` says which page):
    every unmasked view is audited. Nothing is written when there is nothing to hide
    (no name and no phone). `grievance` must already have passed the area gate."""
    name, phone = grievance.reporter_name, grievance.reporter_phone
    if not (name or phone):
        return "", "", False
    if may_see_contact(user=user, grievance=grievance):
        _audit(user=user, grievance=grievance, where=where)
        return name, phone, False
    return mask_name(name), mask_phone(phone), True


@transaction.atomic
def reveal_contact(*, user: User, grievance_id, where: str) -> tuple[str, str]:
    """The reporter's unmasked (name, phone) for a "show number" button or an export:
    404 outside `user`'s area, ApplicationError 403 for anyone who may not see them;
    writes a ContactView row each time."""
    grievance = grievance_get_visible(user=user, grievance_id=grievance_id)
    if not may_see_contact(user=user, grievance=grievance):
        raise ApplicationError(
            _("Only the assignee and district staff may see the reporter's contact "
              "details."),
            status_code=403,
        )
    _audit(user=user, grievance=grievance, where=where)
    return grievance.reporter_name, grievance.reporter_phone


def audit_contact_views(*, user: User, grievances: Iterable[Grievance], where: str) -> int:
    """One ContactView per issue with contact details that `user` is shown unmasked at
    once (an export), in one statement; returns how many were written. The caller has
    checked may_see_contact (or sees_whole_district) for these rows."""
    now = timezone.now()
    rows = [ContactView(grievance=g, user=user, at=now, where=(where or "")[:40])
            for g in grievances if g.reporter_name or g.reporter_phone]
    ContactView.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
