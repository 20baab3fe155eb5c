"""Abuse limits of the residents' form and public API: a honeypot and rate limits.

- Honeypot: the form and the API accept a field named `website` that people never see
  (hidden from eyes and screen readers, no tab stop). A bot that fills it is answered as
  if all went well (the thank-you page without a code, or 201 with `tracking_code: null`)
  but nothing is saved and there is no tracking page to follow.
- Rate limits, counted in the cache in fixed windows: per client address
  (default 10 per 10 minutes) and per phone number (default 5 per day), tuned by the
  setting GRIEVANCE_RATE_LIMITS = {"address": (count, seconds), "phone": (count, seconds)}
  (a limit of None is off). Over a limit → ApplicationError 429 with a Chinese message.
  When the cache is down the limits let the report through (and log): losing a
  resident's report is worse than letting a burst in.
- Counting and the client address are `compounds.ratelimit`'s (TRUSTED_PROXY_HOPS behind
  reverse proxies).
Text lengths are checked by the intake service.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.ratelimit import record_attempts
from grievances.services.intake import PHONE_RE, normalize_phone

HONEYPOT_FIELD = "website"
DEFAULT_LIMITS = {"address": (10, 10 * 60), "phone": (5, 24 * 60 * 60)}


def honeypot_filled(data) -> bool:
    """Whether the hidden field came back with anything in it."""
    value = data.get(HONEYPOT_FIELD) if data is not None else None
    return bool(str(value or "").strip())


def _limits() -> dict:
    configured = getattr(settings, "GRIEVANCE_RATE_LIMITS", None) or {}
    return {**DEFAULT_LIMITS, **configured}


def check_submit_limits(*, address: str, phone: str = "") -> None:
    """Count this submission against the address and the phone (one cache round trip);
    raise ApplicationError 429 when either is over its limit."""
    limits = _limits()
    phone = normalize_phone(phone)
    checks = [(kind, value, limits.get(kind))
              for kind, value in (("address", address),
                                  ("phone", phone if PHONE_RE.fullmatch(phone) else ""))]
    checks = [(kind, value, limit) for kind, value, limit in checks if limit]
    counts = record_attempts([(f"grievance-{kind}", value, limit[1])
                              for kind, value, limit in checks])
    over = {kind for (kind, _value, limit), count in zip(checks, counts, strict=True)
            if count > limit[0]}
    if "address" in over:
        raise ApplicationError(
            _("Too many reports from this network in a short time. Please try again in a "
              "few minutes, or call the community office."), status_code=429)
    if "phone" in over:
        raise ApplicationError(
            _("Too many reports with this phone number today. Please call the community "
              "office or the city hotline 12345."), status_code=429)
