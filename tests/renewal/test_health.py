import pytest
from django.db import connection

from renewal import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part(client, settings, monkeypatch):
    monkeypatch.setattr(health.celery_app.control, "ping", lambda **kw: [{"w": "pong"}])
    health.cache.delete(health.WORKER_SEEN_KEY)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["vendor"] == connection.vendor
    assert body["checks"]["cache"]["ok"] is True
    if settings.REDIS_URL:  # the broker check is real: it connects to Redis
        assert body["checks"]["broker"]["ok"] is True
        assert body["checks"]["worker"]["ok"] is True
    else:
        assert body["checks"]["tasks"]["mode"].startswith("in-process")


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {
        "ok": False, "error": "RuntimeError: connection refused",
        "ms": body["checks"]["database"]["ms"],
    }


def test_healthz_is_503_when_the_cache_loses_writes(client, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda *a, **k: None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False


def test_healthz_is_503_when_no_worker_answers(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    monkeypatch.setattr(health, "_broker", lambda: {})
    monkeypatch.setattr(health.celery_app.control, "ping", lambda **kw: [])
    health.cache.delete(health.WORKER_SEEN_KEY)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["error"] == "no worker answered a ping"


def test_a_recent_worker_reply_is_reused_without_pinging(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    monkeypatch.setattr(health, "_broker", lambda: {})
    replies = [[{"celery@w1": {"ok": "pong"}}], []]
    monkeypatch.setattr(health.celery_app.control, "ping", lambda **kw: replies.pop(0))
    health.cache.delete(health.WORKER_SEEN_KEY)
    assert client.get("/healthz").status_code == 200
    # The second probe within the window does not ping (the next reply would be empty).
    assert client.get("/healthz").status_code == 200
    assert replies == [[]]


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
