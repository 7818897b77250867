"""Reading goals with their KPIs and progress: the API and the home page, beside the
ceiling of fetching the same rows with three bare queries and serialising them. Half the
KPIs are typed in by hand (with measurements), half measured from the daily rollup (link
clicks, a row per department and day of the period)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

DEPARTMENTS, GOALS, KPIS, MEASUREMENTS = 10, 10, 4, 12


def _seed():
    from django.contrib.auth.hashers import make_password

    from departments.models import KPI, Department, Goal, Measurement, Membership
    from metrics.models import DailyRollup, Dim
    from socialops.models import User

    user = User.objects.create(username="bench", password=make_password("x"), is_superuser=True)
    today = dt.date.today()
    for d in range(DEPARTMENTS):
        dept = Department.objects.create(name=f"Dept {d}", slug=f"dept-{d}", kind="marketing")
        Membership.objects.create(department=dept, user=user, role="lead")
        goals = Goal.objects.bulk_create(
            Goal(
                department=dept,
                objective="brand",
                title=f"Goal {d}.{g}",
                period_start=today - dt.timedelta(days=60),
                period_end=today + dt.timedelta(days=30),
            )
            for g in range(GOALS)
        )
        kpis = KPI.objects.bulk_create(
            KPI(
                goal=goal,
                metric="custom" if k % 2 else "link_clicks",
                name=f"Sign-ups {k}" if k % 2 else "",
                unit="count",
                target=Decimal(1000),
                baseline=0,
            )
            for goal in goals
            for k in range(KPIS)
        )
        Measurement.objects.bulk_create(
            Measurement(
                kpi=kpi, value=Decimal(50 * w), measured_on=today - dt.timedelta(days=7 * w)
            )
            for kpi in kpis
            if kpi.metric == "custom"
            for w in range(MEASUREMENTS)
        )
        DailyRollup.objects.bulk_create(
            DailyRollup(
                day=today - dt.timedelta(days=n),
                metric="link_clicks",
                dim=Dim.DEPARTMENT,
                dim_id=dept.pk,
                count=10 + n % 7,
            )
            for n in range(61)
        )
    return user


def _rate(fn: Callable[[], object], seconds: float = 3.0) -> tuple[float, float]:
    """Calls per second and the median latency in ms, after one warm-up call."""
    fn()
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return len(times) / sum(times), statistics.median(times) * 1000


def run() -> None:
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber
    from django.test import Client

    from departments.models import KPI, Goal, Measurement

    user = _seed()
    client = Client()
    client.force_login(user)
    page_size = 100

    def api():
        response = client.get(f"/api/v1/goals/?page_size={page_size}")
        assert response.status_code == 200, response.status_code

    def ceiling():
        goals = list(Goal.objects.order_by("pk").values()[:page_size])
        ids = [g["id"] for g in goals]
        kpis = list(KPI.objects.filter(goal_id__in=ids).values())
        # The same rows the API reads: each KPI's latest two measurements.
        latest = Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("measured_on").desc())
        measurements = list(
            Measurement.objects.filter(kpi__goal_id__in=ids)
            .annotate(rn=latest)
            .filter(rn__lte=2)
            .values("kpi_id", "value", "measured_on")
        )
        json.dumps({"g": goals, "k": kpis, "m": measurements}, default=str)

    def home():
        assert client.get("/").status_code == 200

    api_rate, api_ms = _rate(api)
    ceiling_rate, ceiling_ms = _rate(ceiling)
    home_rate, home_ms = _rate(home)
    print(
        f"goals API, {page_size} goals × {KPIS} KPIs × {MEASUREMENTS} measurements: "
        f"{api_rate:7.1f} req/s (median {api_ms:.1f} ms) | ceiling, 3 bare queries + json: "
        f"{ceiling_rate:7.1f}/s (median {ceiling_ms:.1f} ms) | "
        f"{api_rate / ceiling_rate:.0%} of ceiling"
    )
    print(
        f"home page, {DEPARTMENTS * GOALS} active goals: {home_rate:7.1f} req/s "
        f"(median {home_ms:.1f} ms) | {home_rate / ceiling_rate:.0%} of the same ceiling"
    )
