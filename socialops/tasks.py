from __future__ import annotations

import socket

from celery import shared_task

from socialops.services import heartbeat_record


@shared_task(name="socialops.tasks.heartbeat", queue="default", time_limit=30, soft_time_limit=20)
def heartbeat() -> None:
    """Prove a worker is consuming the queues; /healthz reads the time."""
    heartbeat_record(name="worker", detail=socket.gethostname())
