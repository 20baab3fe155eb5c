"""Celery tasks of residents' issues. Each is thin, takes nothing and is safe to run
twice (so acks_late): the services lock what they change and do nothing the second
time. Beat runs all three periodically; sending is also scheduled after each commit
that wrote an Outbox row."""

import contextlib
import logging

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from grievances.notify import send_outbox
from grievances.services.jobs import close_resolved, escalate_overdue

logger = logging.getLogger(__name__)

# Set while a send waits in the queue: one queued send serves every commit until a worker
# starts it (it clears the mark before it reads the Outbox, so a row committed after
# that schedules a new send). Expires by itself should that message be lost; beat's
# sweep is the net under both.
SEND_PENDING_KEY = "grievances:outbox:send-pending"
SEND_PENDING_SECONDS = 60


@shared_task(acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100)
def send_outbox_task() -> int:
    try:
        cache.delete(SEND_PENDING_KEY)
    except Exception:  # the cache is down: the mark expires by itself
        logger.warning("could not clear the outbox send mark", exc_info=True)
    return send_outbox()


@shared_task(acks_late=True, ignore_result=True)
def escalate_overdue_task() -> int:
    return escalate_overdue()


@shared_task(acks_late=True, ignore_result=True)
def close_resolved_task() -> int:
    return close_resolved()


def _enqueue_send() -> None:
    try:
        if not cache.add(SEND_PENDING_KEY, 1, timeout=SEND_PENDING_SECONDS):
            return  # a send is already queued and has not started: it will see this row
    except Exception:  # the cache is down: ask the broker anyway
        logger.warning("outbox send mark unavailable; scheduling a send", exc_info=True)
    try:
        send_outbox_task.delay()
    except Exception as exc:  # kombu OperationalError, redis errors, OSError
        with contextlib.suppress(Exception):
            cache.delete(SEND_PENDING_KEY)  # nothing is queued after all
        logger.warning("outbox send not scheduled (%s: %s); the periodic sweep will send it",
                       type(exc).__name__, exc)


def enqueue_outbox_on_commit() -> None:
    """After the current transaction commits, ask a worker to send the Outbox. A broker
    that is down only logs a line: the rows stay and beat's sweep sends them later."""
    transaction.on_commit(_enqueue_send)
