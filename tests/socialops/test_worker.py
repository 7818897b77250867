"""A real worker process runs the heartbeat task end to end: broker in, database out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from socialops.models import Heartbeat
from socialops.tasks import heartbeat
from tests.worker import celery_worker, current_database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_process_runs_the_heartbeat_task_and_writes_to_the_test_database():
    sent_at = timezone.now()
    with celery_worker() as worker:
        started = time.monotonic()
        heartbeat.apply_async(queue=worker.queue)
        beat = wait_for(lambda: Heartbeat.objects.filter(name="worker").first(), timeout=30)
        assert beat is not None, (
            f"no heartbeat row after {time.monotonic() - started:.1f} s; "
            f"worker log:\n{worker.log()[-4000:]}"
        )
        assert "socialops.tasks.heartbeat" in worker.log()

    # The helper owns the process's whole life: nothing keeps running after the block.
    assert worker.process.poll() is not None
    # The task ran in the worker, on this machine, after we sent it.
    assert beat.detail == socket.gethostname()[:200]
    assert sent_at - timedelta(seconds=1) <= beat.last_seen <= timezone.now()


def test_healthz_is_ok_as_soon_as_a_worker_and_beat_are_up(client, tmp_path):
    """Not HEARTBEAT_INTERVAL later (make run's /healthz said 503 for its first ~30 s): each
    reports as it starts. Nothing is due for an hour here, so only that can make it 200."""
    names = ("HEARTBEAT_INTERVAL", "CLICK_FLUSH_INTERVAL", "X_SCHEDULER_TICK", "PUBLISH_TICK")
    hour = dict.fromkeys(names, "3600")
    assert client.get("/healthz").json()["status"] == "starting"
    with celery_worker(env=hour):
        assert wait_for(lambda: Heartbeat.objects.filter(name="worker").exists(), timeout=120)
        env = {**os.environ, **hour, "DATABASE_URL": current_database_url()}
        with (tmp_path / "beat.log").open("wb") as log:
            beat = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "socialops", "beat"),
                    *("--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")),
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            healthy = wait_for(lambda: client.get("/healthz").status_code == 200, timeout=120)
            body = client.get("/healthz").json()
            assert healthy, (body, (tmp_path / "beat.log").read_text()[-3000:])
        finally:
            beat.terminate()
            beat.wait(timeout=30)
