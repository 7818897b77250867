"""Thin Celery tasks: they take ids and call prospects' services."""

from __future__ import annotations

from celery import shared_task

from prospects.services import prospect_lists_due
from prospects.sync import list_sync


@shared_task(name="prospects.enqueue_due_lists", queue="ingest", time_limit=60, soft_time_limit=50)
def enqueue_due_lists() -> int:
    due = prospect_lists_due()
    for list_id in due:
        sync_prospect_list.delay(list_id)
    return len(due)


@shared_task(
    name="prospects.sync_prospect_list",
    queue="ingest",
    # X's transient failures, 429s and 401s are the sync's to handle (it records them and
    # reschedules the list); nothing is retried here.
    time_limit=900,
    soft_time_limit=840,
)
def sync_prospect_list(list_id: int) -> str:
    result = list_sync(list_id=list_id)
    return "busy" if result is None else result.status
