"""A real worker process runs the heartbeat task end to end: broker in, database out."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from socialops.models import Heartbeat
from socialops.tasks import heartbeat
from tests.worker import celery_worker, wait_for

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
