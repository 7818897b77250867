"""Redis going away while clicks arrive: every redirect served is a click stored, once.

A private redis-server on a free port, so the test can kill it and hang it without
touching anyone's Redis. Killed, a Redis only keeps what it had on disk: production runs
it with an append-only file (appendfsync always or everysec); the buffer relies on it.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from campaigns.links import buffer
from campaigns.links.services import clicks_flush
from campaigns.models import Click
from tests.campaigns.helpers import click_through
from tests.worker import needs_redis_server

pytestmark = [
    pytest.mark.django_db,
    needs_redis_server,
]


def test_no_click_is_lost_when_redis_dies_midclick_through(client, link, private_redis):
    server, restart = private_redis
    served = click_through(client, link, 30)
    assert Click.objects.count() == 0  # all buffered
    server["process"].kill()  # SIGKILL, no goodbye
    server["process"].wait()
    served += click_through(client, link, 30)
    assert Click.objects.count() == 30  # written directly during the outage
    restart()  # it comes back with what its append-only file held
    time.sleep(0.3)  # past the buffer's skip window
    served += click_through(client, link, 30)
    assert served == 90
    assert buffer.client().llen(buffer.QUEUE_KEY) == 60  # before the kill, and after
    clicks_flush(batch_size=16)
    assert Click.objects.count() == served
    assert Click.objects.values("click_id").distinct().count() == served
    assert buffer.client().llen(buffer.QUEUE_KEY) == 0


def test_no_click_is_lost_when_redis_hangs_midclick_through(client, link, private_redis, settings):
    """A Redis that accepts nothing (stopped, or a network partition) costs each process
    one short timeout, then clicks go straight to the database."""
    server, _restart = private_redis
    served = click_through(client, link, 20)
    settings.CLICK_BUFFER_TIMEOUT_MS = 100  # the redirect's own wait, for the hang
    os.kill(server["process"].pid, signal.SIGSTOP)
    try:
        served += click_through(client, link, 20)
        assert Click.objects.count() == 20
    finally:
        os.kill(server["process"].pid, signal.SIGCONT)
    served += click_through(client, link, 20)
    assert served == 60
    # A push that timed out reaches Redis once it wakes up: that click is buffered as
    # well as stored, and the flush must not store it twice.
    clicks_flush(batch_size=1000)
    assert Click.objects.count() == served
