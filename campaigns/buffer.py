"""The Redis list that buffers click events between the redirect and PostgreSQL.

A module-level connection pool per REDIS_URL with short socket timeouts: a redirect
waits at most CLICK_BUFFER_TIMEOUT_MS for Redis before it writes the click itself. After
a failure the buffer is skipped for a couple of seconds, so an outage costs one timeout
per process, not one per redirect.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

QUEUE_KEY = "socialops:clicks:queue"
PROCESSING_PREFIX = "socialops:clicks:processing:"
# How long the buffer is skipped after Redis failed to answer.
SKIP_AFTER_FAILURE_SECONDS = 2.0

Unavailable = (redis.ConnectionError, redis.TimeoutError)

_pools: dict[str, redis.ConnectionPool] = {}
_lock = threading.Lock()
_down_until = 0.0


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def client() -> redis.Redis:
    url = settings.REDIS_URL
    pool = _pools.get(url)
    if pool is None:
        with _lock:
            pool = _pools.get(url)
            if pool is None:
                timeout = settings.CLICK_BUFFER_TIMEOUT_MS / 1000
                pool = redis.ConnectionPool.from_url(
                    url,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    retry=Retry(NoBackoff(), 0),
                )
                _pools[url] = pool
    return redis.Redis(connection_pool=pool)


def push(payload: str) -> bool:
    """Append one click event; False when Redis is unavailable (the caller writes the
    click itself). A push that timed out may still have landed: the flush then finds a
    click id the database already has and skips it."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        client().lpush(QUEUE_KEY, payload)
    except Unavailable:
        _down_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
        return False
    return True


def reset() -> None:
    """Forget pools and a remembered outage (tests, and after settings change)."""
    global _down_until
    _down_until = 0.0
    with _lock:
        for pool in _pools.values():
            pool.disconnect()
        _pools.clear()


def processing_key() -> str:
    """This worker's processing list: one per host and process."""
    return f"{PROCESSING_PREFIX}{socket.gethostname()}:{os.getpid()}"
