"""Site-level tasks. Each is thin, takes ids or nothing, and is safe to run twice."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "health:beat-heartbeat"


@shared_task(acks_late=True, time_limit=30, soft_time_limit=20, ignore_result=False)
def heartbeat() -> str:
    """Beat's pulse, run by a worker: /healthz reads when it last came through."""
    now = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, now, timeout=None)
    return now
