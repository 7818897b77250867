"""Reading the rollup (metrics.measure): "no data yet" (None) until a scope's first row of a
metric's family, a measured 0 after it; many scopes and metrics in two queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics.measure import Request, Scope, Table, metric_value, values
from metrics.models import DailyRollup, Dim

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)
SALES = Scope(Dim.DEPARTMENT, 7)


def _cell(metric: str, day: dt.date, scope: Scope, count: int = 0, total: str = "0") -> None:
    DailyRollup.objects.create(
        day=day, metric=metric, dim=scope.dim, dim_id=scope.id, count=count, total=Decimal(total)
    )


def test_no_data_before_the_first_row_of_the_family_and_zero_after():
    _cell("conversions", DAY, SALES, count=2)
    _cell("revenue", DAY, SALES, total="80.5")
    before, on, after = DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=3)
    assert metric_value("conversions", scope=SALES, first=before, last=before) is None
    assert metric_value("conversions", scope=SALES, first=on, last=on) == 2
    assert metric_value("revenue", scope=SALES, first=on, last=on) == Decimal("80.5")
    # After the first row, a day without one is a measured zero, for the whole family.
    assert metric_value("conversions", scope=SALES, first=after, last=after) == 0
    assert metric_value("new_customers", scope=SALES, first=on, last=after) == 0
    # Another scope, or another family, has no data yet.
    assert metric_value("conversions", scope=Scope(Dim.DEPARTMENT, 8), first=on, last=on) is None
    assert metric_value("link_clicks", scope=SALES, first=on, last=on) is None


def test_the_first_row_counts_only_up_to_the_latest_day_asked():
    _cell("link_clicks", DAY, SALES, count=5)
    early = Request("link_clicks", SALES, DAY - dt.timedelta(days=9), DAY - dt.timedelta(days=2))
    later = Request("link_clicks", SALES, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=4))
    assert values([early, later]) == [None, 0]


def test_many_scopes_and_metrics_in_two_queries(django_assert_num_queries):
    scopes = [Scope(Dim.DEPARTMENT, n) for n in range(1, 41)] + [Scope(Dim.ORG, 0)]
    for n, scope in enumerate(scopes):
        _cell("link_clicks", DAY, scope, count=n)
        _cell("hours_spent", DAY - dt.timedelta(days=n), scope, total=str(n))
    requests = [
        Request(metric, scope, DAY - dt.timedelta(days=60), DAY)
        for scope in scopes
        for metric in ("link_clicks", "unique_clicks", "hours_spent", "conversion_rate", "roi")
    ]
    with django_assert_num_queries(2):
        table = Table(requests)
    for n, scope in enumerate(scopes):
        first, last = DAY - dt.timedelta(days=60), DAY
        assert table.value("link_clicks", scope, first, last) == n
        assert table.value("unique_clicks", scope, first, last) == 0  # same family
        assert table.value("hours_spent", scope, first, last) == n
        assert table.value("conversion_rate", scope, first, last) is None
