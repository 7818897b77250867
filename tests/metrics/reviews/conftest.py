"""A week to review: Marketing with a representative and a link-clicks KPI that is behind
(so it needs commentary), Sales with its lead standing in as representative."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campaigns.links.models import Click, TrackedLink
from metrics.rollups import rebuild
from tests.factories import (
    CampaignFactory,
    GoalFactory,
    KPIFactory,
    MembershipFactory,
    ScheduledPostFactory,
    XAccountFactory,
)

ZONE = ZoneInfo("Europe/Madrid")
MONDAY = dt.date(2026, 11, 16)  # 2026-W47
SUNDAY = MONDAY + dt.timedelta(days=6)
START = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


def add_clicks(link, day: dt.date, n: int) -> None:
    for i in range(n):
        Click.objects.create(
            link=link,
            clicked_at=at(day, 9 + i % 10),
            visitor_key=f"v{uuid.uuid4().hex[:8]}",
            click_id=uuid.uuid4().hex,
        )


@pytest.fixture
def org(organisation):
    organisation.time_zone = "Europe/Madrid"
    organisation.save()
    return organisation


@pytest.fixture
def representative(marketing):
    """Marketing's steering-committee representative (a member, not a lead)."""
    return MembershipFactory(department=marketing, role="member", is_representative=True).user


@pytest.fixture
def week(org, marketing, sales, representative, owner, colleague):
    """Marketing: a link-clicks KPI far behind (red) and a custom one on track; Sales: a
    custom KPI. Clicks on Marketing's campaign post in the week, rolled up."""
    account = XAccountFactory()
    campaign = CampaignFactory(
        department=marketing,
        name="Winter sale",
        spend=Decimal("0"),
        period_start=START,
        period_end=END,
    )
    post = ScheduledPostFactory(account=account, department=marketing, campaign=campaign)
    link = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="rev1", campaign=campaign, post=post
    )
    add_clicks(link, MONDAY, 5)
    add_clicks(link, MONDAY + dt.timedelta(days=2), 7)
    rebuild(since=START)
    goal = GoalFactory(department=marketing, title="Traffic", period_start=START, period_end=END)
    clicks_kpi = KPIFactory(
        goal=goal,
        metric="link_clicks",
        name="",
        target=Decimal("1000"),
        unit="count",
        scope="department",
    )
    sales_goal = GoalFactory(department=sales, title="Leads", period_start=START, period_end=END)
    sales_kpi = KPIFactory(goal=sales_goal, name="Demo calls", target=Decimal("10"))
    return {
        "campaign": campaign,
        "link": link,
        "clicks_kpi": clicks_kpi,
        "sales_kpi": sales_kpi,
        "post": post,
    }
