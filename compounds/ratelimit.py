"""Counting attempts in the cache, for the pages people reach without an account (the
residents' forms, online voting with a household code, grading) and their APIs.

Fixed windows: `record_attempt` counts one more attempt of `value` (an address, a phone)
in the current window and returns the count; `attempts` reads it without counting.
Values are hashed before they become cache keys, so no address or phone number is kept
in the cache. When the cache is down both answer 0 and log: a resident's report or vote
matters more than a burst let through.

`client_address(request)` is REMOTE_ADDR, or, behind `TRUSTED_PROXY_HOPS` reverse proxies
that append to X-Forwarded-For, the address that many hops from the right (never a value
the client could have written itself).
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{int(time.time() // window)}"


def attempts(scope: str, value: str, *, window: int) -> int:
    """How many attempts `value` made in the current window of `window` seconds."""
    if not value:
        return 0
    try:
        return int(cache.get(_key(scope, value, window)) or 0)
    except Exception:
        logger.warning("rate-limit cache unavailable; %s not counted", scope, exc_info=True)
        return 0


def record_attempt(scope: str, value: str, *, window: int) -> int:
    """Count one more attempt of `value`; the count in this window (0 when not counted)."""
    return record_attempts([(scope, value, window)])[0]


def record_attempts(counts: list[tuple[str, str, int]]) -> list[int]:
    """Count one more attempt for each (scope, value, window); the counts, in order (0 for
    an empty value, or for all when the cache is down). On Redis every count is one
    SET NX + INCR in a single pipeline: one round trip per request, however many limits."""
    wanted = [(i, _key(scope, value, window), window)
              for i, (scope, value, window) in enumerate(counts) if value]
    result = [0] * len(counts)
    if not wanted:
        return result
    try:
        for (i, _k, _w), count in zip(wanted, _count(wanted), strict=True):
            result[i] = count
    except Exception:
        logger.warning("rate-limit cache unavailable; %s not counted",
                       ", ".join(counts[i][0] for i, _k, _w in wanted), exc_info=True)
    return result


def _count(wanted: list[tuple[int, str, int]]) -> list[int]:
    client = _redis_client()
    if client is None:  # another backend (local memory in `make run`, tests): add, incr
        return [_count_one(key, window) for _i, key, window in wanted]
    pipe = client.pipeline(transaction=False)
    for _i, key, window in wanted:
        name = cache.make_and_validate_key(key)
        # Start the window at 0 (only if it is new), then count. Django's Redis cache
        # stores an int as a plain integer, so `attempts()` reads the same number.
        pipe.set(name, 0, ex=window + 1, nx=True)
        pipe.incr(name)
    replies = pipe.execute()
    return [int(n) for n in replies[1::2]]


def _redis_client():
    """The redis-py client behind Django's Redis cache, or None for another backend.
    (`_cache` is the backend's client holder: Django has no public way to pipeline.)"""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def _count_one(key: str, window: int) -> int:
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1
