"""Redis going away while clicks arrive: every redirect served is a click stored, once.

A private redis-server on a free port, so the test can kill it and hang it without
touching anyone's Redis. Killed, a Redis only keeps what it had on disk: production runs
it with an append-only file (appendfsync always or everysec); the buffer relies on it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import closing

import pytest

from campaigns import buffer
from campaigns.models import Click
from campaigns.services.links import clicks_flush
from tests.worker import REDIS_SERVER, needs_redis_server, wait_for

REDIS = REDIS_SERVER
pytestmark = [
    pytest.mark.django_db,
    needs_redis_server,
]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _start_redis(port: int, data_dir) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert wait_for(lambda: _answers(port), timeout=10), "redis-server did not start"
    return process


@pytest.fixture
def private_redis(tmp_path, settings, monkeypatch):
    port = _free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(buffer, "SKIP_AFTER_FAILURE_SECONDS", 0.2)
    buffer.reset()
    server = {"process": _start_redis(port, tmp_path)}

    def restart():
        server["process"] = _start_redis(port, tmp_path)

    yield server, restart
    process = server["process"]
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
    process.wait()


def _load(client, link, n) -> int:
    served = 0
    for _ in range(n):
        response = client.get(f"/l/{link.code}", headers={"user-agent": BROWSER})
        served += response.status_code == 302
    return served


def test_no_click_is_lost_when_redis_dies_mid_load(client, link, private_redis):
    server, restart = private_redis
    served = _load(client, link, 30)
    assert Click.objects.count() == 0  # all buffered
    server["process"].kill()  # SIGKILL, no goodbye
    server["process"].wait()
    served += _load(client, link, 30)
    assert Click.objects.count() == 30  # written directly during the outage
    restart()  # it comes back with what its append-only file held
    time.sleep(0.3)  # past the buffer's skip window
    served += _load(client, link, 30)
    assert served == 90
    assert buffer.client().llen(buffer.QUEUE_KEY) == 60  # before the kill, and after
    clicks_flush(batch_size=16)
    assert Click.objects.count() == served
    assert Click.objects.values("click_id").distinct().count() == served
    assert buffer.client().llen(buffer.QUEUE_KEY) == 0


def test_no_click_is_lost_when_redis_hangs_mid_load(client, link, private_redis):
    """A Redis that accepts nothing (stopped, or a network partition) costs each process
    one short timeout, then clicks go straight to the database."""
    server, _restart = private_redis
    served = _load(client, link, 20)
    os.kill(server["process"].pid, signal.SIGSTOP)
    try:
        served += _load(client, link, 20)
        assert Click.objects.count() == 20
    finally:
        os.kill(server["process"].pid, signal.SIGCONT)
    served += _load(client, link, 20)
    assert served == 60
    # A push that timed out reaches Redis once it wakes up: that click is buffered as
    # well as stored, and the flush must not store it twice.
    clicks_flush(batch_size=1000)
    assert Click.objects.count() == served
