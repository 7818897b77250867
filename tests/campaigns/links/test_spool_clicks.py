"""Redirects through the click spool, the way production runs them: every redirect served
is a click stored, once, when a web process is SIGKILLed mid-load, when a Redis that keeps
nothing on disk dies mid-load, when Redis hangs and while the database is away. Real
gunicorn, real Redis servers of the test's own, real PostgreSQL."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest
from django.conf import settings

from campaigns.links import buffer, spool
from campaigns.links.services import clicks_flush
from campaigns.models import Click
from tests.campaigns.conftest import REAL_KEYS
from tests.campaigns.helpers import BROWSER, click_through
from tests.worker import (
    current_database_url,
    free_port,
    needs_redis_server,
    start_redis,
    wait_for,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_redis_server,
]


@pytest.fixture
def spool_dir(tmp_path, settings):
    folder = tmp_path / "spool"
    settings.CLICK_SPOOL_DIR = str(folder)
    settings.CLICK_SPOOL_SHIP_MS = 20
    yield folder
    spool.close_all()


@pytest.fixture
def own_redis(private_redis, monkeypatch):
    """The test's own Redis under the product's real key names (a gunicorn started by the
    test uses those)."""
    for name, value in REAL_KEYS.items():
        monkeypatch.setattr(buffer, name, value)
    yield private_redis
    spool.close_all()  # before the server goes: its shipper may still be delivering
    buffer.reset()


@pytest.fixture
def volatile_redis(settings, monkeypatch):
    """A Redis of the test's own that keeps nothing on disk (no append-only file, no
    snapshots: the common default), under the product's real key names; yields it (as
    {"process": ...}) and a restart() that brings it back empty on the same port."""
    port = free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    for name, value in REAL_KEYS.items():
        monkeypatch.setattr(buffer, name, value)
    monkeypatch.setattr(buffer, "SKIP_AFTER_FAILURE_SECONDS", 0.2)
    buffer.reset()
    server = {"process": start_redis(port)}

    def restart():
        server["process"] = start_redis(port)

    yield server, restart
    spool.close_all()
    buffer.reset()
    server["process"].kill()
    server["process"].wait()


def _flush_all() -> int:
    total = 0
    while moved := clicks_flush(batch_size=500, orphan_after=0):
        total += moved
    return total


def _stored(link) -> tuple[int, int]:
    clicks = Click.objects.filter(link=link)
    return clicks.count(), clicks.values("click_id").distinct().count()


# --- In this process: the redirect, its spool's thread, Redis and the database away ----------


def test_a_redirect_spools_its_click_and_the_shipper_stores_it(client, link, spool_dir, own_redis):
    assert click_through(client, link, 25) == 25
    assert wait_for(lambda: Click.objects.count() == 25, timeout=10)
    assert spool.pending_bytes(spool_dir) == 0
    # Straight into the database: nothing waits in Redis, whatever Redis keeps on disk.
    assert buffer.client().llen(buffer.QUEUE_KEY) == 0
    assert _stored(link) == (25, 25)


def test_no_click_is_lost_when_a_redis_that_keeps_nothing_dies_midclick_through(
    client, link, spool_dir, volatile_redis
):
    server, restart = volatile_redis
    served = click_through(client, link, 30)
    server["process"].kill()  # SIGKILL, no goodbye, nothing on disk
    server["process"].wait()
    served += click_through(client, link, 30)
    restart()  # back, empty
    served += click_through(client, link, 30)
    assert wait_for(lambda: spool.pending_bytes(spool_dir) == 0, timeout=10)
    assert served == 90
    assert _stored(link) == (90, 90)


def test_no_click_waits_for_a_hung_redis(client, link, spool_dir, own_redis):
    """A Redis that accepts nothing (stopped, or a partition): neither the redirects nor
    the shipper wait for it."""
    server, _restart = own_redis
    os.kill(server["process"].pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        served = click_through(client, link, 20)
        assert time.monotonic() - started < 2  # 20 redirects, no Redis timeout among them
        assert wait_for(lambda: Click.objects.count() == 20, timeout=15)
    finally:
        os.kill(server["process"].pid, signal.SIGCONT)
    assert served == 20
    assert _stored(link) == (20, 20)


def test_clicks_wait_in_the_spool_while_the_database_is_away(
    client, link, spool_dir, own_redis, monkeypatch
):
    from campaigns.links import services

    def database_away(*, lines):
        from django.db import OperationalError

        raise OperationalError("the database is away")

    # The database fails only for the shipper: the test reads through the real one.
    real_store = services.clicks_store_lines
    monkeypatch.setattr(services, "clicks_store_lines", database_away)
    served = click_through(client, link, 15)
    time.sleep(0.3)  # several shipper ticks, each refused
    assert spool.pending_bytes(spool_dir) > 0 and Click.objects.count() == 0
    monkeypatch.setattr(services, "clicks_store_lines", real_store)
    assert wait_for(lambda: spool.pending_bytes(spool_dir) == 0, timeout=20)
    assert _stored(link) == (served, served) == (15, 15)


def test_a_malformed_line_in_the_journal_is_dropped_and_the_rest_stored(
    client, link, spool_dir, own_redis
):
    assert click_through(client, link, 2) == 2  # the process's spool is open now
    journal = spool.running(str(spool_dir)).journal
    os.write(journal.fd, b'{"click_id": "half-writ\n{"not": "a click"}\n')
    assert click_through(client, link, 2) == 2
    assert wait_for(lambda: spool.pending_bytes(spool_dir) == 0, timeout=10)
    assert _stored(link) == (4, 4)


# --- A real gunicorn, SIGKILLed mid-load ------------------------------------------------------


def _gunicorn(port: int, *, folder: Path, ship_ms: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CLICK_SPOOL_DIR": str(folder),
        "CLICK_SPOOL_SHIP_MS": str(ship_ms),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "socialops.wsgi"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
                *("--worker-class", "gthread", "--threads", "4", "--log-level", "warning"),
            ],
            cwd=Path(__file__).resolve().parents[3],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # killpg reaches the master and its workers
        )

    def answers() -> bool:
        with suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/l/-missing-")
            return conn.getresponse().status == 404
        return False

    assert wait_for(answers, timeout=30), log_path.read_text(errors="replace")[-3000:]
    return process


class Load(threading.Thread):
    """One visitor after another, each on a connection of its own, counting 302s."""

    def __init__(self, port: int, code: str) -> None:
        super().__init__(daemon=True)
        self.port, self.code = port, code
        self.served = 0
        self.failed = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.failed < 3:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", f"/l/{self.code}", headers={"User-Agent": BROWSER})
                if conn.getresponse().status == 302:
                    self.served += 1
                conn.close()
            except OSError:
                self.failed += 1  # the server is gone: the visitor saw an error


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _serve_then_kill(link, folder: Path, *, ship_ms: int, log_path: Path) -> tuple[int, int]:
    """A gunicorn serves redirects one visitor at a time until it is SIGKILLed; returns the
    redirects it served and its port."""
    port = free_port()
    web = _gunicorn(port, folder=folder, ship_ms=ship_ms, log_path=log_path)
    load = Load(port, link.code)
    try:
        load.start()
        assert wait_for(lambda: load.served >= 400, timeout=60, interval=0.005)
        os.killpg(web.pid, signal.SIGKILL)
        web.wait(timeout=10)
        # Waiting for the master is not enough: its workers, now orphans, hold their
        # journals' locks until they have exited too, and a journal still locked is
        # (rightly) not adopted. On a busy machine that took long enough to be seen.
        assert wait_for(lambda: not _group_alive(web.pid), timeout=30)
        load.join(timeout=30)
    finally:
        load.stop.set()
        with suppress(ProcessLookupError):
            os.killpg(web.pid, signal.SIGKILL)
    if ship_ms > 1000:
        assert spool.pending_bytes(folder) > 0, "the kill must land before anything shipped"
    return load.served, port


def _assert_each_served_click_stored_once(link, served: int) -> None:
    _flush_all()
    stored, distinct = _stored(link)
    assert stored == distinct  # nothing twice
    # Nothing lost: a visitor whose redirect was cut by the kill may have had a click
    # recorded without receiving the 302 (one at a time here), never the reverse.
    assert served <= stored <= served + 1, (served, stored)


@pytest.mark.parametrize("ship_ms", [60_000, 5], ids=["nothing-shipped-yet", "mid-shipping"])
def test_a_web_process_killed_mid_load_loses_and_duplicates_no_click(
    link, own_redis, tmp_path, ship_ms
):
    folder = tmp_path / "web-spool"
    log_path = tmp_path / "gunicorn.log"
    served, port = _serve_then_kill(link, folder, ship_ms=ship_ms, log_path=log_path)
    # The next web process on this host adopts what the dead one left on disk.
    web = _gunicorn(port, folder=folder, ship_ms=20, log_path=log_path)
    try:
        assert wait_for(lambda: spool.pending_bytes(folder) == 0, timeout=30)
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    _assert_each_served_click_stored_once(link, served)


def test_the_flush_task_ships_what_a_killed_web_process_left(link, own_redis, tmp_path, settings):
    """No web process comes back on this host: the click flush, run by a worker that
    shares the folder (compose mounts the volume in both), ships the journal."""
    from campaigns.links.tasks import flush_clicks

    folder = tmp_path / "web-spool"
    served, _port = _serve_then_kill(
        link, folder, ship_ms=60_000, log_path=tmp_path / "gunicorn.log"
    )
    settings.CLICK_SPOOL_DIR = str(folder)
    flush_clicks()
    assert spool.pending_bytes(folder) == 0 and not list(folder.glob(f"*{spool.SUFFIX}"))
    _assert_each_served_click_stored_once(link, served)


def test_a_click_the_spool_refuses_is_pushed_to_redis_at_once(client, link, spool_dir, own_redis):
    assert click_through(client, link, 1) == 1  # the process's spool is open now
    assert wait_for(lambda: spool.pending_bytes(spool_dir) == 0, timeout=10)
    journal = spool.running(str(spool_dir)).journal
    os.close(journal.fd)
    journal.fd = os.open(os.devnull, os.O_RDONLY)  # the disk refuses every write
    assert click_through(client, link, 3) == 3
    assert buffer.client().llen(buffer.QUEUE_KEY) >= 3  # pushed by the redirects themselves
    _flush_all()
    assert _stored(link) == (4, 4)


def test_a_redis_that_keeps_nothing_killed_under_load_loses_no_click(
    link, volatile_redis, tmp_path
):
    """Four visitors at a time on a real gunicorn; Redis (no append-only file, no
    snapshots) is SIGKILLed mid-load and comes back empty: every redirect served is a
    click stored, once. (Shipped through Redis, what Redis held when it died was lost.)"""
    server, restart = volatile_redis
    port = free_port()
    folder = tmp_path / "web-spool"
    web = _gunicorn(port, folder=folder, ship_ms=200, log_path=tmp_path / "gunicorn.log")
    loads = [Load(port, link.code) for _ in range(4)]
    try:
        for load in loads:
            load.start()
        assert wait_for(lambda: sum(x.served for x in loads) >= 600, timeout=120, interval=0.01)
        server["process"].kill()
        server["process"].wait()
        before = sum(x.served for x in loads)
        assert wait_for(
            lambda: sum(x.served for x in loads) >= before + 300, timeout=120, interval=0.01
        )
        restart()
        before = sum(x.served for x in loads)
        assert wait_for(
            lambda: sum(x.served for x in loads) >= before + 100, timeout=120, interval=0.01
        )
    finally:
        for load in loads:
            load.stop.set()
        for load in loads:
            load.join(timeout=30)
        os.killpg(web.pid, signal.SIGTERM)  # graceful: in-flight redirects finish
        web.wait(timeout=30)
    served = sum(x.served for x in loads)
    assert not any(x.failed for x in loads)
    assert spool.pending_bytes(folder) == 0
    _flush_all()
    assert _stored(link) == (served, served)
