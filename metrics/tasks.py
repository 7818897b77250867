"""Thin Celery tasks keeping the rollup current: the marked days every minute, the last
week every night (late data)."""

from __future__ import annotations

from celery import shared_task

from metrics.rollups import recompute_marked, recompute_recent


@shared_task(name="metrics.rollup_marked", queue="default", time_limit=600, soft_time_limit=540)
def rollup_marked() -> int:
    return recompute_marked()


@shared_task(name="metrics.rollup_recent", queue="default", time_limit=3600, soft_time_limit=3500)
def rollup_recent() -> None:
    recompute_recent()
