"""The Celery app: queues `ingest`, `publish` and `default`; schedules live in the database."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, worker_ready
from django.apps import apps
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")

app = Celery("socialops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("ingest", "publish", "default")]


def _task_packages() -> list[str]:
    """Every installed app, and every concept folder inside one (campaigns.links, …):
    Celery looks for a `tasks` module in each."""
    packages = []
    for config in apps.get_app_configs():
        packages.append(config.name)
        for entry in sorted(Path(config.path).glob("*/tasks.py")):
            packages.append(f"{config.name}.{entry.parent.name}")
    return packages


app.autodiscover_tasks(_task_packages)

log = logging.getLogger(__name__)


# /healthz knows a worker and beat are alive from heartbeats; the first heartbeat task is
# only due HEARTBEAT_INTERVAL after beat starts, and /healthz said 503 until then. Each
# reports once as it comes up, so a fresh start is healthy as soon as both are.
@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    _report("worker")


@beat_init.connect
def _beat_init(**kwargs) -> None:
    _report("beat")


def _report(name: str) -> None:
    from django.db import connections

    # In here: this module loads with the package, before Django's app registry, and
    # models can only be imported once it is ready.
    from socialops.services import heartbeat_record

    try:
        heartbeat_record(name=name, detail=socket.gethostname())
    except Exception:
        log.warning("could not record that %s started", name, exc_info=True)
    finally:
        connections.close_all()  # not inherited by pool processes forked later
