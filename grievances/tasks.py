"""Celery tasks of residents' issues. Each is thin, takes nothing and is safe to run
twice (so acks_late): the services lock what they change and do nothing the second
time. Beat runs all three periodically; sending is also scheduled after each commit
that wrote an Outbox row."""

import logging

from celery import shared_task
from django.db import transaction

from grievances.notify import send_outbox
from grievances.services.jobs import close_resolved, escalate_overdue

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100)
def send_outbox_task() -> int:
    return send_outbox()


@shared_task(acks_late=True, ignore_result=True)
def escalate_overdue_task() -> int:
    return escalate_overdue()


@shared_task(acks_late=True, ignore_result=True)
def close_resolved_task() -> int:
    return close_resolved()


def _enqueue_send() -> None:
    try:
        send_outbox_task.delay()
    except Exception as exc:  # kombu OperationalError, redis errors, OSError
        logger.warning("outbox send not scheduled (%s: %s); the periodic sweep will send it",
                       type(exc).__name__, exc)


def enqueue_outbox_on_commit() -> None:
    """After the current transaction commits, ask a worker to send the Outbox. A broker
    that is down only logs a line: the rows stay and beat's sweep sends them later."""
    transaction.on_commit(_enqueue_send)
