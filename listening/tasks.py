"""Thin Celery tasks: they take ids and call listening's services."""

from __future__ import annotations

from celery import shared_task

from listening import client as x
from listening.ingest import source_run
from listening.services import sources_enqueue_due


@shared_task(
    name="listening.enqueue_due_sources", queue="ingest", time_limit=60, soft_time_limit=50
)
def enqueue_due_sources() -> int:
    return len(sources_enqueue_due())


@shared_task(
    name="listening.pull_source",
    queue="ingest",
    bind=True,
    # Only X's transient failures are retried; a 429 reschedules the source instead, and
    # a 401 waits for a person to reconnect the account.
    autoretry_for=(x.Transient,),
    retry_backoff=15,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    time_limit=900,
    soft_time_limit=840,
)
def pull_source(self, source_id: int) -> str:
    result = source_run(source_id=source_id)
    return "busy" if result is None else result.status


from listening.inbox import tasks as inbox_tasks  # noqa: E402, F401 — registered with the app
