"""Small pieces every service uses to report bad input field by field, in one answer."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

Errors = dict[str, list[Any]]

# (start field, end field, message when the end comes first)
DATE_PAIRS = (
    ("planned_start", "planned_end", _("The planned end cannot be before the planned start.")),
    ("actual_start", "actual_end", _("The actual end cannot be before the actual start.")),
)


def as_id(value: Any) -> int | None:
    """A primary key from user input ("12", 12), or None for anything else, so that a
    bad id reads as "no such record" instead of raising."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def add_error(errors: Errors, field: str, message: Any) -> None:
    errors.setdefault(field, []).append(message)


def dates_in_order(errors: Errors, instance: Model, pairs=DATE_PAIRS) -> None:
    """An end before its start is an error on the end; fields already refused are left."""
    for start, end, message in pairs:
        if errors.keys() & {start, end}:
            continue
        first, last = getattr(instance, start), getattr(instance, end)
        if first and last and last < first:
            add_error(errors, end, message)


def save_unique(instance: Model, *, field: str, message: Any) -> None:
    """Save; a concurrent insert that wins a unique constraint after the service's own
    check becomes the same field error as the check, never an IntegrityError."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError({field: message}) from exc
