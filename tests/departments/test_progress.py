from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics.selectors import Status, kpi_progress
from tests.factories import GoalFactory, KPIFactory, MeasurementFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)


@pytest.fixture
def goal():
    return GoalFactory(period_start=START, period_end=START + dt.timedelta(days=100))


def _kpi(goal, values, **kwargs):
    kpi = KPIFactory(goal=goal, **kwargs)
    for days, value in values:
        MeasurementFactory(kpi=kpi, value=Decimal(value), measured_on=START + dt.timedelta(days))
    return kpi


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("600", Status.ON_TRACK),
        ("400", Status.BEHIND),
        ("150", Status.AT_RISK),
        ("1000", Status.ACHIEVED),
    ],
)
def test_status_against_pace(goal, value, status):
    # Halfway through the period; baseline 100, target 1000.
    kpi = _kpi(goal, [(10, "120"), (50, value)])
    progress = kpi_progress(kpi=kpi, today=START + dt.timedelta(days=50))
    assert progress.expected == 0.5
    assert progress.status == status


def test_no_data(goal):
    progress = kpi_progress(kpi=KPIFactory(goal=goal), today=START)
    assert progress.status == Status.NO_DATA
    assert progress.percent is None


def test_lower_is_better(goal):
    kpi = _kpi(
        goal, [(5, "200"), (50, "90")], baseline=Decimal(240), target=Decimal(60), direction="lower"
    )
    progress = kpi_progress(kpi=kpi, today=START + dt.timedelta(days=50))
    assert progress.percent == 83
    assert progress.status == Status.ON_TRACK
    assert progress.change == Decimal(-110)
