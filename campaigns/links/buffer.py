"""The Redis list that buffers click events between the redirect and PostgreSQL.

A module-level client and connection pool per REDIS_URL with short socket timeouts: a redirect
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
# The flush moves thousands of events per round trip and no visitor waits for it: the
# redirect's 100 ms made it time out on a busy machine.
FLUSH_TIMEOUT_SECONDS = 10.0

Unavailable = (redis.ConnectionError, redis.TimeoutError)

_clients: dict[tuple[str, float], redis.Redis] = {}
_lock = threading.Lock()
_down_until = 0.0


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def client(timeout: float | None = None) -> redis.Redis:
    """One client (and pool) per URL and timeout per process, CLICK_BUFFER_TIMEOUT_MS
    unless told. Kept, not rebuilt per call: building a redis.Redis costs ~0.2 ms, more
    than the redirect's whole budget."""
    if timeout is None:
        timeout = settings.CLICK_BUFFER_TIMEOUT_MS / 1000
    key = (settings.REDIS_URL, timeout)
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                found = redis.Redis.from_url(
                    settings.REDIS_URL,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    retry=Retry(NoBackoff(), 0),
                )
                _clients[key] = found
    return found


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
        for found in _clients.values():
            found.connection_pool.disconnect()
        _clients.clear()


def processing_key() -> str:
    """This worker's processing list: one per host and process."""
    return f"{PROCESSING_PREFIX}{socket.gethostname()}:{os.getpid()}"
