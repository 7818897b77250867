"""A real Celery worker process for tests that need one.

The worker runs `python -m celery -A socialops worker` against the broker the settings
chose (Redis when REDIS_URL is set, the filesystem transport otherwise) and against the
*test* database of the calling test, so what it writes is what the test reads. Use it
only from tests marked `django_db(transaction=True)`: rows in an open test transaction
are invisible to another process.

    with celery_worker() as worker:
        heartbeat.apply_async(queue=worker.queue)
        wait_for(lambda: Heartbeat.objects.exists())
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

T = TypeVar("T")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

REDIS_SERVER = shutil.which("redis-server")
# For tests that run a redis-server of their own (to kill it). CI has one: there a missing
# binary fails the test instead of skipping it.
needs_redis_server = pytest.mark.skipif(
    not REDIS_SERVER and not os.environ.get("CI"),
    reason="needs redis-server (apt-get install redis)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_redis(port: int, data_dir: Path | None = None) -> subprocess.Popen[bytes]:
    """A redis-server of the test's own on `port`, for tests that kill or hang it. With
    `data_dir` it keeps an append-only file there, fsynced on every write (as production
    should for the click buffer), so a restart gets back what it had."""
    keep = (
        ["--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "always"]
        if data_dir is not None
        else ["--appendonly", "no"]
    )
    command = [REDIS_SERVER or "redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--save", "", *keep],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert wait_for(lambda: _answers(port), timeout=10), "redis-server did not start"
    return process


# One process, no broker chatter: the quickest worker to start and stop.
SOLO_OPTIONS = ("--pool", "solo", "--without-mingle", "--without-gossip", "--without-heartbeat")
# As docker-compose.yml and Procfile.dev run it: a prefork pool of two processes.
PRODUCTION_OPTIONS = ("--concurrency", "2", "--without-mingle", "--without-gossip")


@dataclass(frozen=True)
class RunningWorker:
    process: subprocess.Popen[bytes]
    queue: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once: no warm shutdown, no acks."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)


def current_database_url() -> str:
    """The URL of the database this test process is using (the test database, not the
    configured one), in the form socialops/settings.py parses."""
    db = connection.settings_dict
    vendor = connection.vendor
    if vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("a worker process cannot share an in-memory SQLite database")
        return f"sqlite:///{Path(name).resolve()}"
    if vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"
    raise RuntimeError(f"no worker support for the {vendor} backend")


def _log_dir() -> Path:
    path = Path(settings.VAR_DIR) / "test-workers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The worker leads its own process group (start_new_session), so this reaches its
    # pool children too and nothing else.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    except ProcessLookupError:
        process.wait(timeout=STOP_TIMEOUT)


def _forget_queues(*, queue: str, nodename: str) -> None:
    """Remove what the worker declared on the broker, so test runs leave nothing behind in
    a developer's Redis or var/broker/ (best effort: leftovers are harmless, only untidy).

    Bindings live in the broker's routing tables (Redis sets, files under the filesystem
    transport's control folder); deleting through kombu removes them however the
    transport keeps them.
    """
    from kombu import Exchange, Queue

    from socialops.celery import app

    declared = [
        Queue(queue, Exchange(queue, "direct"), routing_key=queue),
        app.control.mailbox.get_queue(nodename),
    ]
    try:
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            for declaration in declared:
                bound = declaration(channel)
                bound.declare()
                bound.delete()
            if conn.transport.driver_type == "filesystem":
                control = app.conf.broker_transport_options.get("control_folder")
                if control:
                    (Path(control) / f"{queue}.exchange").unlink(missing_ok=True)
    except Exception:
        pass


def wait_for(
    condition: Callable[[], T], *, timeout: float = START_TIMEOUT, interval: float = 0.1
) -> T | None:
    """Poll until `condition()` is truthy; return its value, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


@contextmanager
def celery_worker(
    *,
    timeout: float = START_TIMEOUT,
    env: dict[str, str] | None = None,
    queue: str | None = None,
    options: tuple[str, ...] = SOLO_OPTIONS,
) -> Iterator[RunningWorker]:
    """Start one worker on a queue of its own, wait until it is consuming, stop it after.

    A unique queue keeps the test's tasks away from any other worker on the same broker
    (a developer's `make run`), and that worker's tasks away from this one. `options`
    replace the pool and bootstep options (production's: PRODUCTION_OPTIONS).
    """
    tag = uuid.uuid4().hex[:12]
    queue = queue or f"test-{tag}"
    nodename = f"test-{tag}@{socket.gethostname()}"
    log_path = _log_dir() / f"{queue}.log"
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "socialops",
        "worker",
        "--queues",
        queue,
        "--hostname",
        nodename,
        *options,
        "--loglevel",
        "INFO",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = RunningWorker(process=process, queue=queue, log_path=log_path)
    try:
        # Sending before the worker has declared its queue could route the message
        # nowhere, so wait for celery's own "ready" line.
        ready = wait_for(
            lambda: process.poll() is not None or " ready." in worker.log(), timeout=timeout
        )
        if not ready or process.poll() is not None:
            raise RuntimeError(
                f"celery worker did not start within {timeout:.0f} s "
                f"(exit code {process.poll()}); its log:\n{worker.log()[-4000:]}"
            )
        yield worker
    finally:
        _stop(process)
        _forget_queues(queue=queue, nodename=nodename)
        if process.returncode == 0:
            log_path.unlink(missing_ok=True)
