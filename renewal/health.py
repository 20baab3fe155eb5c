"""What /healthz reports: the database, the cache, and (with a broker) the broker,
whether a worker answered a ping recently, and when beat last ticked."""

import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from renewal.celery import app as celery_app
from renewal.tasks import BEAT_HEARTBEAT_KEY

WORKER_SEEN_KEY = "health:worker-seen"
# A worker that answered within this window counts as alive without asking again,
# so a busy load balancer probing /healthz does not flood the broker with pings.
WORKER_PING_FRESH_SECONDS = 30
BEAT_STALE_SECONDS = 120


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check() or {}
        result.setdefault("ok", True)
    except Exception as exc:  # a health check reports every failure, whatever it is
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache() -> dict:
    cache.set("health:probe", "1", timeout=10)
    if cache.get("health:probe") != "1":
        return {"ok": False, "error": "value written was not read back"}
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _broker() -> dict:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {}


def _worker() -> dict:
    seen = cache.get(WORKER_SEEN_KEY)
    if seen and time.time() - seen < WORKER_PING_FRESH_SECONDS:
        return {"last_seen": _iso(seen)}
    replies = celery_app.control.ping(timeout=1.0, limit=1) or []
    if not replies:
        return {"ok": False, "error": "no worker answered a ping", "last_seen": _iso(seen)}
    now = time.time()
    cache.set(WORKER_SEEN_KEY, now, timeout=None)
    return {"last_seen": _iso(now), "workers": len(replies)}


def _beat() -> dict:
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if not last:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (timezone.now() - datetime.fromisoformat(last)).total_seconds()
    return {"ok": age < BEAT_STALE_SECONDS, "last_tick": last}


def _iso(epoch: float | None) -> str | None:
    if not epoch:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.get_current_timezone()).isoformat()


def health_report() -> tuple[bool, dict]:
    """Return (healthy, checks). Beat is reported but does not make the web unhealthy."""
    checks = {"database": _timed(_database), "cache": _timed(_cache)}
    required = ["database", "cache"]
    if settings.REDIS_URL:
        checks["broker"] = _timed(_broker)
        checks["worker"] = _timed(_worker) if checks["broker"]["ok"] else {"ok": False}
        checks["beat"] = _timed(_beat)
        required += ["broker", "worker"]
    else:
        checks["tasks"] = {"ok": True, "mode": "in-process (no broker configured)"}
    healthy = all(checks[name]["ok"] for name in required)
    return healthy, checks
