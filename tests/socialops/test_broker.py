"""The embedded broker (no REDIS_URL: socialops/broker.py over kombu's filesystem
transport) under several producing processes and a real worker: every message consumed
exactly once, none lost; a message that cannot be read is set aside, not fatal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from socialops import broker
from tests.worker import celery_worker, current_database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PRODUCERS = 4
EACH = 150

# Sends EACH heartbeat tasks to the queue named on the command line; prints their ids.
PRODUCE = """
import sys, django
django.setup()
from socialops.tasks import heartbeat
queue, count = sys.argv[1], int(sys.argv[2])
for _ in range(count):
    print(heartbeat.apply_async(queue=queue).id, flush=True)
"""


@pytest.fixture
def embedded(tmp_path):
    """Environment for processes on an embedded broker of the test's own (a var folder of
    its own, no Redis), on the test database."""
    return {
        **os.environ,
        "SOCIALOPS_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": "",
        "DATABASE_URL": current_database_url(),
        "PYTHONUNBUFFERED": "1",
    }


def _succeeded(log: str) -> Counter[str]:
    return Counter(re.findall(r"Task socialops\.tasks\.heartbeat\[([0-9a-f-]+)\] succeeded", log))


def _queue_folder(env: dict[str, str]) -> Path:
    return Path(env["SOCIALOPS_VAR_DIR"]) / "broker" / "queue"


def test_messages_from_several_processes_are_each_consumed_once(embedded):
    with celery_worker(env=embedded) as worker:
        producers = [
            subprocess.Popen(
                [sys.executable, "-c", PRODUCE, worker.queue, str(EACH)],
                cwd=settings.BASE_DIR,
                env={**embedded, "DJANGO_SETTINGS_MODULE": "socialops.settings"},
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(PRODUCERS)
        ]
        sent: list[str] = []
        for producer in producers:
            out, _ = producer.communicate(timeout=300)
            assert producer.returncode == 0
            sent += out.split()
        assert len(sent) == len(set(sent)) == PRODUCERS * EACH

        done = wait_for(
            lambda: worker.process.poll() is not None or set(_succeeded(worker.log())) >= set(sent),
            timeout=300,
            interval=0.5,
        )
        assert worker.process.poll() is None, worker.log()[-4000:]
        assert done, f"{len(set(_succeeded(worker.log())))} of {len(sent)} consumed"
        consumed = _succeeded(worker.log())
        assert set(consumed) == set(sent)  # none lost
        assert max(consumed.values()) == 1  # none twice
        assert "Traceback" not in worker.log()
    leftovers = [p.name for p in _queue_folder(embedded).iterdir() if p.is_file()]
    assert leftovers == []  # nothing half-written or claimed left behind


def test_an_unreadable_message_is_set_aside_and_the_worker_goes_on(embedded):
    with celery_worker(env=embedded) as worker:
        folder = _queue_folder(embedded)
        # What a half-written message looked like: kombu's name, part of the JSON.
        name = f"1_00000000-0000-0000-0000-000000000000.{worker.queue}.msg"
        (folder / name).write_bytes(b'{"body": "eyJ')
        producer = subprocess.run(
            [sys.executable, "-c", PRODUCE, worker.queue, "3"],
            cwd=settings.BASE_DIR,
            env={**embedded, "DJANGO_SETTINGS_MODULE": "socialops.settings"},
            capture_output=True,
            text=True,
            check=True,
        )
        sent = producer.stdout.split()
        assert wait_for(
            lambda: worker.process.poll() is not None or set(_succeeded(worker.log())) >= set(sent),
            timeout=120,
            interval=0.5,
        )
        assert worker.process.poll() is None, worker.log()[-4000:]
        assert "unreadable message was set aside" in worker.log()
        assert (folder / broker.UNREADABLE_FOLDER / name).read_bytes() == b'{"body": "eyJ'
        assert not (folder / name).exists()
