"""A real worker through broker outages: Redis killed (and back empty, as a Redis without
persistence comes back) or stopped, again and again, while tasks flow. The worker must
still be there after each and run the next task by itself.

Tasks flow throughout so that messages are unacknowledged (acks_late) when Redis goes:
that is when kombu's Redis transport made the worker exit ('NoneType' object has no
attribute 'hostname', in 1 outage in 4 to 7 when tasks arrived every second or two).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import suppress
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu import Connection

from socialops.models import Heartbeat
from socialops.tasks import heartbeat
from tests.worker import (
    PRODUCTION_OPTIONS,
    celery_worker,
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

# (how, seconds away): killed six times, stopped twice, and one outage of a whole minute.
OUTAGES = [
    ("kill", 2),
    ("kill", 4),
    ("stop", 5),
    ("kill", 1),
    ("kill", 3),
    ("stop", 10),
    ("kill", 2),
    ("kill", 60),
]


class Flow(threading.Thread):
    """Sends heartbeat tasks to the worker's queue, a few a second, whatever the broker
    does (a send that fails is simply not counted)."""

    def __init__(self, url: str, queue: str) -> None:
        super().__init__(daemon=True)
        self.url, self.queue = url, queue
        self.sent = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with suppress(Exception), Connection(self.url, connect_timeout=1) as connection:
                heartbeat.apply_async(queue=self.queue, connection=connection, retry=False)
                self.sent += 1
            self.stop.wait(0.1)


def _ran_since(moment) -> bool:
    return Heartbeat.objects.filter(name="worker", last_seen__gt=moment).exists()


def test_the_worker_rides_out_repeated_broker_outages_and_resumes_by_itself():
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(port)  # no append-only file, no snapshots: back empty
    flow = None
    try:
        with celery_worker(env={"REDIS_URL": url}, options=PRODUCTION_OPTIONS) as worker:
            flow = Flow(url, worker.queue)
            flow.start()
            assert wait_for(lambda: _ran_since(timezone.now() - timedelta(hours=1)))
            for n, (how, seconds) in enumerate(OUTAGES):
                if how == "kill":
                    server.kill()
                    server.wait()
                else:
                    os.kill(server.pid, signal.SIGSTOP)
                time.sleep(seconds)  # the outage itself
                back = timezone.now()
                if how == "kill":
                    server = start_redis(port)
                else:
                    os.kill(server.pid, signal.SIGCONT)
                resumed = wait_for(
                    lambda back=back: worker.process.poll() is not None or _ran_since(back),
                    timeout=120,
                )
                assert worker.process.poll() is None, (
                    f"the worker exited in outage {n + 1} ({how}, {seconds} s):\n"
                    f"{worker.log()[-6000:]}"
                )
                assert resumed, (
                    f"no task ran within 120 s of outage {n + 1}:\n{worker.log()[-3000:]}"
                )
            assert "Unrecoverable error" not in worker.log()
    finally:
        if flow is not None:
            flow.stop.set()
            flow.join(timeout=10)
        with suppress(ProcessLookupError):
            os.kill(server.pid, signal.SIGCONT)
        server.kill()
        server.wait()
