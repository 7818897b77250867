"""The demo's measured KPIs get targets their data is heading for, at mixed paces."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.links.models import Click, TrackedLink
from departments.models import KPI
from metrics.demo import _round, demo_targets_set
from metrics.rollups import rebuild
from metrics.selectors import Rag, kpi_progress_many
from tests.factories import GoalFactory, KPIFactory, ScheduledPostFactory

pytestmark = pytest.mark.django_db


def test_round_keeps_two_significant_figures():
    values = [Decimal(v) for v in ("373", "12.4", "7", "0", "98765")]
    assert [_round(v) for v in values] == [370, 12, 7, 0, 99000]


def test_measured_kpis_show_green_amber_and_red_and_the_rest_keep_their_targets(
    marketing, owner, organisation
):
    today = timezone.localdate()
    post = ScheduledPostFactory(department=marketing)
    link = TrackedLink.objects.create(destination="https://shop.example.com/", code="d1", post=post)
    now = timezone.now()
    Click.objects.bulk_create(
        Click(
            link=link,
            clicked_at=now - dt.timedelta(days=n % 10, hours=1),
            visitor_key=f"v{n}",
            click_id=uuid.uuid4().hex,
        )
        for n in range(400)
    )
    rebuild()
    goal = GoalFactory(
        department=marketing,
        owner=owner,
        period_start=today - dt.timedelta(days=20),
        period_end=today + dt.timedelta(days=40),
    )
    measured = [
        KPIFactory(goal=goal, metric="link_clicks", scope="department", name=f"clicks {n}")
        for n in range(4)
    ]
    by_hand = KPIFactory(goal=goal, metric="custom", name="Analyst mentions", target=12)

    assert demo_targets_set(actor=owner, today=today) == 4

    kpis = KPI.objects.filter(pk__in=[k.pk for k in measured]).order_by("pk")
    rags = [p.rag for p in kpi_progress_many(list(kpis), today=today)]
    assert rags == [Rag.GREEN, Rag.AMBER, Rag.GREEN, Rag.RED]
    by_hand.refresh_from_db()
    assert by_hand.target == 12
