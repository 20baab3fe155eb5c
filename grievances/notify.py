"""Sending what waits in the Outbox: SMS through a pluggable backend (settings.SMS_BACKEND,
a dotted path), e-mail through Django's mail, in-app messages (stored rows, shown to the
user in the portal: "sent" once stored).

`send_outbox` sends each unsent row at most once: it locks the row (skip_locked, so two
senders never take the same one), sends, and marks `sent_at` in the same transaction. A
failure counts an attempt and keeps the error; the next sweep tries again.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from compounds.privacy import mask_phone
from grievances.models import Outbox

logger = logging.getLogger(__name__)

DEFAULT_SMS_BACKEND = "grievances.notify.ConsoleSmsBackend"
# A row that failed this often waits for a person (admin) instead of being retried.
MAX_ATTEMPTS = 10


class BaseSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: the message goes to the log (the number masked)."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(to), text)


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: messages are kept in `LocmemSmsBackend.outbox` as (to, text)."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        type(self).outbox.append((to, text))


def get_sms_backend() -> BaseSmsBackend:
    return import_string(getattr(settings, "SMS_BACKEND", DEFAULT_SMS_BACKEND))()


def _deliver(message: Outbox, sms: BaseSmsBackend) -> None:
    if message.channel == "sms":
        sms.send(to=message.to, text=message.text)
    elif message.channel == "email":
        send_mail(_("Renovation portal: residents' issues"), message.text,
                  settings.DEFAULT_FROM_EMAIL, [message.to])
    elif message.channel != "inapp":  # in-app messages are delivered by being stored
        raise ValueError(f"unknown outbox channel {message.channel!r}")


def unsent():
    return Outbox.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)


def send_outbox(*, limit: int = 500) -> int:
    """Send up to `limit` unsent messages, oldest first; returns how many went out."""
    sms = get_sms_backend()
    sent = 0
    for pk in list(unsent().order_by("created_at", "id").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            message = (unsent().select_for_update(skip_locked=True).filter(pk=pk).first())
            if message is None:  # another sender has it, or sent it already
                continue
            try:
                _deliver(message, sms)
            except Exception as exc:  # any backend failure is retried later
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:200]
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("outbox %s not sent (attempt %s): %s", message.pk,
                               message.attempts, type(exc).__name__)
                continue
            message.sent_at = timezone.now()
            message.attempts += 1
            message.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent
