"""What /healthz checks: the database, the broker, a worker and beat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def check_broker() -> str | None:
    from socialops.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        return f"broker unreachable: {exc.__class__.__name__}"
    return None


def _stale_after() -> timedelta:
    # Three missed beats before we call it dead: one late beat is not an outage.
    return timedelta(seconds=settings.HEARTBEAT_INTERVAL * 3 + 15)


def check_worker() -> str | None:
    from socialops.models import Heartbeat

    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        return "no worker has run the heartbeat task yet"
    age = timezone.now() - beat.last_seen
    if age > _stale_after():
        return f"no worker heartbeat for {int(age.total_seconds())} s"
    return None


def check_beat() -> str | None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.filter(name="heartbeat").only("last_run_at").first()
    if task is None or task.last_run_at is None:
        return "beat has not scheduled the heartbeat yet"
    age = timezone.now() - task.last_run_at
    if age > _stale_after():
        return f"beat has not scheduled anything for {int(age.total_seconds())} s"
    return None


def _safely(check: Callable[[], str | None]) -> str | None:
    # A check that raises would make /healthz a 500 that names nothing (e.g. a database
    # that is up but not migrated yet); report which check could not run instead.
    try:
        return check()
    except Exception as exc:
        return f"could not check: {exc.__class__.__name__}"


def _entry(problem: str | None) -> dict[str, object]:
    return {"ok": True} if problem is None else {"ok": False, "error": problem}


def health_report() -> dict[str, dict[str, object]]:
    db_problem = check_database()
    report = {"database": _entry(db_problem), "broker": _entry(check_broker())}
    for name, check in (("worker", check_worker), ("beat", check_beat)):
        # Both are read from the database; without it we cannot tell.
        report[name] = _entry(
            "unknown: the database is unreachable" if db_problem else _safely(check)
        )
    return report
