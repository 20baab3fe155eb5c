"""What one resident's report costs the server: the queries of a submit, the single cache
round trip of its rate limits, and one queued send for any number of SMS rows."""

from unittest import mock

import pytest
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from compounds.ratelimit import _key, attempts, record_attempt, record_attempts
from grievances import tasks
from grievances.models import Grievance, Outbox

URL = "/api/v1/public/grievances/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def compound(area):
    return area.compounds["长江路小区"]


def submit(compound, key: str):
    return APIClient().post(
        URL, {"compound": str(compound.pk), "category": "leak",
              "description": "三号楼顶层漏水，天花板掉灰。", "phone": "13800138000",
              "consent_contact": "true", "name": "李先生"},
        format="multipart", HTTP_IDEMPOTENCY_KEY=key)


def test_api_submit_queries_are_few_and_constant(compound, django_assert_num_queries):
    # The key lookup, the compound, the category, its first deadline; then one
    # transaction (inside the test's own: a savepoint and its release) with the issue,
    # its event and its SMS. No savepoint of its own, no second key lookup, no foreign
    # keys re-read.
    for key in ("cost-1", "cost-2"):
        with django_assert_num_queries(9):
            response = submit(compound, key)
        assert response.status_code == 201, response.content
    assert Grievance.objects.count() == 2 and Outbox.objects.count() == 2


def test_api_repeat_is_one_query(compound, django_assert_num_queries):
    first = submit(compound, "cost-repeat").json()["tracking_code"]
    with django_assert_num_queries(1):
        again = submit(compound, "cost-repeat")
    assert again.status_code == 201 and again.json()["tracking_code"] == first


# --- rate limits: one round trip ----------------------------------------------------------

def test_record_attempts_counts_each_value_in_its_window():
    assert record_attempts([("a", "1.2.3.4", 600), ("b", "13800138000", 86400)]) == [1, 1]
    assert record_attempts([("a", "1.2.3.4", 600), ("b", "", 86400)]) == [2, 0]
    assert record_attempt("b", "13800138000", window=86400) == 2
    assert attempts("a", "1.2.3.4", window=600) == 2
    assert attempts("a", "5.6.7.8", window=600) == 0


def test_record_attempts_fails_open_when_the_cache_is_down():
    with mock.patch("compounds.ratelimit._count", side_effect=ConnectionError("down")):
        assert record_attempts([("a", "1.2.3.4", 600), ("b", "138", 60)]) == [0, 0]


@pytest.fixture
def redis_cache(settings, redis_required):
    """The production cache: Redis, through renewal.cache."""
    settings.CACHES = {"default": {"BACKEND": "renewal.cache.ReusingRedisCache",
                                   "LOCATION": settings.REDIS_URL, "KEY_PREFIX": "test-cost"}}
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.mark.services
def test_on_redis_the_counts_are_one_pipeline_with_an_expiry(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    with mock.patch.object(client, "pipeline", wraps=client.pipeline) as pipeline:
        assert record_attempts([("a", "9.9.9.9", 600), ("b", "13900139000", 60)]) == [1, 1]
        assert record_attempts([("a", "9.9.9.9", 600), ("b", "13900139000", 60)]) == [2, 2]
    assert pipeline.call_count == 2  # one round trip per call, for both limits
    assert attempts("a", "9.9.9.9", window=600) == 2  # Django's cache reads the same count
    ttl = client.ttl(redis_cache.make_and_validate_key(_key("b", "13900139000", 60)))
    assert 0 < ttl <= 61


@pytest.mark.services
def test_the_redis_cache_reuses_one_client_and_still_behaves_like_django_s(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client(key="any") is client  # one server: one pool
    assert redis_cache.add("k", 1, timeout=30) and not redis_cache.add("k", 5, timeout=30)
    assert redis_cache.incr("k") == 2 and redis_cache.get("k") == 2
    redis_cache.set("d", {"a": [1, "二"]}, timeout=30)
    assert redis_cache.get("d") == {"a": [1, "二"]}
    assert client.ttl(redis_cache.make_and_validate_key("d")) > 0


# --- the outbox: one queued send for many commits -----------------------------------------

def test_one_queued_send_serves_every_commit_until_a_worker_starts_it():
    with mock.patch.object(tasks.send_outbox_task, "delay") as delay:
        tasks._enqueue_send()
        tasks._enqueue_send()
        tasks._enqueue_send()
        assert delay.call_count == 1
        # The worker starts the send: it clears the mark before reading the Outbox, so
        # a row committed from now on schedules a send of its own.
        with mock.patch.object(tasks, "send_outbox", return_value=0):
            tasks.send_outbox_task()
        tasks._enqueue_send()
        assert delay.call_count == 2


def test_a_send_the_broker_refused_does_not_hold_back_the_next():
    with mock.patch.object(tasks.send_outbox_task, "delay",
                           side_effect=[OSError("broker down"), None]) as delay:
        tasks._enqueue_send()  # refused: logged, the sweep will send
        assert cache.get(tasks.SEND_PENDING_KEY) is None
        tasks._enqueue_send()
    assert delay.call_count == 2


def test_submits_in_a_row_queue_one_send(compound, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.send_outbox_task, "delay") as delay:
        for key in ("row-1", "row-2", "row-3"):
            with django_capture_on_commit_callbacks(execute=True):
                assert submit(compound, key).status_code == 201
    assert delay.call_count == 1 and Outbox.objects.filter(sent_at=None).count() == 3


# --- one row without ORDER BY -------------------------------------------------------------

def test_one_row_reads_one_row_without_sorting(compound):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from compounds.models import Compound
    from compounds.selectors import one_row

    with CaptureQueriesContext(connection) as queries:
        assert one_row(Compound.objects.filter(pk=compound.pk)) == compound
        assert one_row(Compound.objects.filter(pk=-1)) is None
        codes = Grievance.objects.filter(idempotency_key="none").values_list(
            "tracking_code", flat=True)
        assert one_row(codes) is None
    assert len(queries) == 3
    for query in queries.captured_queries:
        assert "ORDER BY" not in query["sql"] and "LIMIT 1" in query["sql"]
