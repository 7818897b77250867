"""What /healthz checks: the database, the broker, a worker and beat.

A worker or beat that has not reported yet on a fresh installation is *starting*, not
failing: /healthz still answers 503 (not ready), but says "starting" and logs no error.
Under `make run`, where each process runs under socialops/supervise.py, a worker or beat
that exited and is being restarted is reported as such at once (not only once its
heartbeat has gone stale), and one started in the last STARTING_FOR seconds is starting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from socialops.celery import app
from socialops.models import Heartbeat
from socialops.supervise import read_state

# A supervised process this young that has not reported yet is starting.
STARTING_FOR = 120.0


class Starting(str):
    """A check's problem that is an expected start-up state, not a failure."""


def _supervised(name: str) -> dict[str, object] | None:
    """What socialops/supervise.py recorded about `name` on this host, if its supervisor is
    still alive (a record left by a supervisor that was killed says nothing)."""
    state = read_state(Path(settings.VAR_DIR) / "processes", name)
    if not state or not isinstance(state.get("supervisor"), int):
        return None
    try:
        os.kill(state["supervisor"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    return state


def _supervision_problem(name: str) -> str | None:
    state = _supervised(name)
    if state and state.get("state") == "restarting":
        return (
            f"{name} exited ({state.get('last_exit')}) and is being restarted "
            f"(restart {state.get('restarts')})"
        )
    return None


def _just_started(name: str) -> bool:
    state = _supervised(name)
    return bool(
        state
        and state.get("state") == "running"
        and time.time() - float(state.get("since", 0)) < STARTING_FOR
    )


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def check_broker() -> str | None:
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
    restarting = _supervision_problem("worker")
    if restarting:
        return restarting
    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        return Starting("starting: no worker has run the heartbeat task yet")
    age = timezone.now() - beat.last_seen
    if age > _stale_after():
        if _just_started("worker"):
            return Starting("starting: the worker has not reported yet")
        return f"no worker heartbeat for {int(age.total_seconds())} s"
    return None


def check_beat() -> str | None:
    restarting = _supervision_problem("beat")
    if restarting:
        return restarting
    task = PeriodicTask.objects.filter(name="heartbeat").only("last_run_at").first()
    # Beat also reports when it starts (socialops/celery.py): its first heartbeat task is
    # only due HEARTBEAT_INTERVAL later.
    started = Heartbeat.objects.filter(name="beat").values_list("last_seen", flat=True).first()
    seen = [t for t in (task.last_run_at if task else None, started) if t is not None]
    if not seen:
        return Starting("starting: beat has not scheduled the heartbeat yet")
    age = timezone.now() - max(seen)
    if age > _stale_after():
        if _just_started("beat"):
            return Starting("starting: beat has not reported yet")
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
    if problem is None:
        return {"ok": True}
    if isinstance(problem, Starting):
        return {"ok": False, "starting": True, "error": str(problem)}
    return {"ok": False, "error": problem}


def health_report() -> dict[str, dict[str, object]]:
    db_problem = check_database()
    report = {"database": _entry(db_problem), "broker": _entry(check_broker())}
    for name, check in (("worker", check_worker), ("beat", check_beat)):
        # Both are read from the database; without it we cannot tell.
        report[name] = _entry(
            "unknown: the database is unreachable" if db_problem else _safely(check)
        )
    return report
