"""The Celery app: queues `ingest`, `publish` and `default`; schedules live in the database."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")

app = Celery("socialops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("ingest", "publish", "default")]
app.autodiscover_tasks()
