"""Strict readers for environment variables.

A malformed value stops the process with a message that names the variable, instead
of a stack trace from deep inside a driver.
"""

import os
from datetime import date
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def read_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1 or 0.")


def read_url(name: str, *, schemes: tuple[str, ...]) -> str:
    """Return the URL in `name`, or "" when unset; refuse a URL of another kind."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with one of {allowed}; got {raw.split('@')[-1]!r}."
        )
    if parts.scheme != "sqlite" and not parts.hostname:
        raise ImproperlyConfigured(f"{name} has no host name: {raw.split('@')[-1]!r}.")
    return raw


def read_month_day(name: str, *, default: str) -> str:
    """A day of the year as "MM-DD" (checked against a leap year, so 02-29 is allowed)."""
    raw = os.environ.get(name, default).strip()
    try:
        month, day = (int(part) for part in raw.split("-"))
        date(2024, month, day)
    except ValueError:
        raise ImproperlyConfigured(
            f'{name}={raw!r} is not a day of the year: use "MM-DD", e.g. 06-01.'
        ) from None
    return f"{month:02d}-{day:02d}"
