"""A real Celery worker round-trip through the Redis broker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from renewal.celery import app
from renewal.health import health_report
from renewal.tasks import BEAT_HEARTBEAT_KEY, heartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_celery_is_configured_from_django_settings(settings):
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.beat_schedule["heartbeat"]["task"] == "renewal.tasks.heartbeat"
    assert "renewal.tasks.heartbeat" in app.tasks
    assert heartbeat.acks_late is True


# Transactional: the worker starts by closing Django's connections (celery's Django
# fixup), which a test wrapped in one open transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_worker_round_trip_through_redis(redis_required):
    cache.delete(BEAT_HEARTBEAT_KEY)
    assert app.conf.task_always_eager is False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = heartbeat.delay()
        stamp = result.get(timeout=20)
        # The worker ran it (not this process): the result came back through Redis
        # and the cache the web reads holds the same stamp.
        assert result.successful()
        assert cache.get(BEAT_HEARTBEAT_KEY) == stamp
        healthy, checks = health_report()
    assert checks["broker"]["ok"] is True
    assert checks["worker"]["ok"] is True, checks["worker"]
    assert checks["beat"]["ok"] is True
    assert healthy is True


def test_heartbeat_is_safe_to_run_twice():
    first = heartbeat.apply().get()
    second = heartbeat.apply().get()
    assert second >= first
    assert cache.get(BEAT_HEARTBEAT_KEY) == second
