"""Thin Celery tasks keeping the rollup current: the marked days every minute, the last
week every night (late data), and everything when what every day depends on changed (the
organisation's time zone, currency or hourly cost; lower apps queue it by name)."""

from __future__ import annotations

from celery import shared_task

from metrics.rollups import rebuild, recompute_marked, recompute_recent


@shared_task(name="metrics.rollup_marked", queue="default", time_limit=600, soft_time_limit=540)
def rollup_marked() -> int:
    return recompute_marked()


@shared_task(name="metrics.rollup_recent", queue="default", time_limit=3600, soft_time_limit=3500)
def rollup_recent() -> None:
    recompute_recent()


@shared_task(name="metrics.rebuild", queue="default", time_limit=4 * 3600, soft_time_limit=14_000)
def rollup_rebuild() -> int:
    return rebuild()
