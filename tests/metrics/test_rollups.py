"""The rollup engine: attribution, idempotent recomputes, marks, verify, reading values."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campaigns.links.models import Click, TrackedLink
from campaigns.offers.models import Conversion
from listening.models import FollowerCount
from metrics import facts
from metrics.measure import ORG, Scope, metric_series, metric_value
from metrics.models import DailyRollup, Dim
from metrics.rollups import local_days, rebuild, recompute, recompute_marked, verify
from socialops.marks import Family, mark
from socialops.models import DirtyDay
from tests.factories import (
    CampaignFactory,
    ScheduledPostFactory,
    TimeEntryFactory,
    XAccountFactory,
)

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
DAY = dt.date(2026, 11, 10)


@pytest.fixture
def org(organisation):
    organisation.time_zone = "America/New_York"
    organisation.hourly_staff_cost = Decimal("50")
    organisation.currency = "USD"
    organisation.save()
    return organisation


@pytest.fixture
def setup(org, marketing, sales):
    account = XAccountFactory()
    campaign = CampaignFactory(department=sales, spend=Decimal("0"))
    post = ScheduledPostFactory(
        account=account, department=marketing, campaign=campaign, kind="thread"
    )
    link = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="att1", campaign=campaign, post=post
    )
    bare = TrackedLink.objects.create(destination="https://shop.example.com/", code="att2")
    return {"account": account, "campaign": campaign, "post": post, "link": link, "bare": bare}


def _click(link, at, *, visitor="v1", bot=False):
    return Click.objects.create(
        link=link, clicked_at=at, visitor_key=visitor, is_bot=bot, click_id=uuid.uuid4().hex
    )


def _cells(metric):
    return {
        (r.dim, r.dim_id, r.day): r.count + r.total
        for r in DailyRollup.objects.filter(metric=metric)
    }


def test_a_click_belongs_to_its_link_campaign_post_department_account_and_kind(setup, marketing):
    local_noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=ZONE)
    _click(setup["link"], local_noon, visitor="a")
    _click(setup["link"], local_noon, visitor="a")  # the same visitor again
    _click(setup["link"], local_noon, visitor="b")
    _click(setup["link"], local_noon, visitor="bot", bot=True)  # bots never count
    # 23:30 in New York is the next day in UTC: it counts on the organisation's day.
    _click(setup["bare"], dt.datetime.combine(DAY, dt.time(23, 30), tzinfo=ZONE), visitor="c")
    recompute(Family.CLICKS, DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1))

    clicks = _cells("link_clicks")
    assert clicks == {
        (Dim.ORG, 0, DAY): 4,
        (Dim.LINK, setup["link"].id, DAY): 3,
        (Dim.LINK, setup["bare"].id, DAY): 1,
        (Dim.CAMPAIGN, setup["campaign"].id, DAY): 3,
        # The post's department (Marketing), not the campaign's (Sales).
        (Dim.DEPARTMENT, marketing.id, DAY): 3,
        (Dim.ACCOUNT, setup["account"].id, DAY): 3,
        (Dim.ACTIVITY, facts.ACTIVITY_THREAD, DAY): 3,
        # Marketing's threads (the post's department and kind, the pair in one id).
        (
            Dim.DEPARTMENT_ACTIVITY,
            facts.department_activity_id(marketing.id, facts.ACTIVITY_THREAD),
            DAY,
        ): 3,
        # Marketing's post (for its top posts); the link without a post has no such cell.
        (Dim.DEPARTMENT_POST, facts.department_post_id(marketing.id, setup["post"].id), DAY): 3,
    }
    assert _cells("unique_clicks")[(Dim.ORG, 0, DAY)] == 3  # a, b, c
    assert _cells("unique_clicks")[(Dim.LINK, setup["link"].id, DAY)] == 2


def test_recomputing_twice_changes_nothing(setup):
    _click(setup["link"], dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE))
    recompute(Family.CLICKS, DAY, DAY)
    first = sorted(DailyRollup.objects.values_list("metric", "dim", "dim_id", "day", "count"))
    recompute(Family.CLICKS, DAY, DAY)
    assert (
        sorted(DailyRollup.objects.values_list("metric", "dim", "dim_id", "day", "count")) == first
    )


def test_a_recompute_rewrites_only_the_cells_that_changed(setup):
    day_before = DAY - dt.timedelta(days=1)
    _click(setup["link"], dt.datetime.combine(day_before, dt.time(9), tzinfo=ZONE), visitor="a")
    _click(setup["link"], dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE), visitor="a")
    _click(setup["bare"], dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE), visitor="b")
    recompute(Family.CLICKS, day_before, DAY)
    before = {(r.metric, r.dim, r.dim_id, r.day): r.pk for r in DailyRollup.objects.all()}
    _click(setup["bare"], dt.datetime.combine(DAY, dt.time(10), tzinfo=ZONE), visitor="c")
    assert recompute(Family.CLICKS, day_before, DAY) == len(before)
    after = {(r.metric, r.dim, r.dim_id, r.day): r.pk for r in DailyRollup.objects.all()}
    assert after.keys() == before.keys()
    rewritten = {key for key in after if after[key] != before[key]}
    # The organisation's and the bare link's figures of the day; nothing of the day before
    # nor of the link in the post.
    assert rewritten == {
        ("link_clicks", Dim.ORG, 0, DAY),
        ("unique_clicks", Dim.ORG, 0, DAY),
        ("link_clicks", Dim.LINK, setup["bare"].id, DAY),
        ("unique_clicks", Dim.LINK, setup["bare"].id, DAY),
    }


def test_marked_days_are_recomputed_and_a_newer_mark_survives(setup):
    at = dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE)
    _click(setup["link"], at)
    mark(Family.CLICKS, [at])
    mark(Family.CLICKS, [at])  # marked twice: one mark, version 2
    assert DirtyDay.objects.get().version == 2
    assert recompute_marked() == 1
    assert not DirtyDay.objects.exists()
    assert metric_value("link_clicks", first=DAY, last=DAY) == 1


def test_verify_finds_a_tampered_cell_and_rebuild_repairs_it(setup):
    at = dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE)
    _click(setup["link"], at)
    rebuild()
    assert verify(DAY, DAY) == []
    DailyRollup.objects.filter(metric="link_clicks", dim=Dim.ORG).update(count=7)
    _click(setup["link"], at + dt.timedelta(days=1))  # late, never rolled up
    found = {
        (d.metric, d.dim, d.day, d.stored, d.computed)
        for d in verify(DAY, DAY + dt.timedelta(days=1))
    }
    assert ("link_clicks", Dim.ORG, DAY, 7, 1) in found
    assert ("link_clicks", Dim.ORG, DAY + dt.timedelta(days=1), None, 1) in found
    with pytest.raises(CommandError, match="differ"):
        call_command("metrics_verify", "--quiet")
    call_command("metrics_rebuild", "--quiet")
    call_command("metrics_verify", "--quiet")


def test_no_data_yet_is_none_and_a_measured_zero_is_zero(setup, marketing, sales):
    assert metric_value("link_clicks", first=DAY, last=DAY) is None
    _click(setup["link"], dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE))
    rebuild()
    later = DAY + dt.timedelta(days=3)
    assert metric_value("link_clicks", first=later, last=later) == 0
    assert (
        metric_value(
            "link_clicks", first=DAY - dt.timedelta(days=5), last=DAY - dt.timedelta(days=1)
        )
        is None
    )
    assert (
        metric_value("link_clicks", scope=Scope(Dim.DEPARTMENT, sales.id), first=DAY, last=DAY)
        is None
    )
    # Metrics from later issues answer "no data yet", never 0.
    assert metric_value("median_first_response_minutes", first=DAY, last=DAY) is None
    points = metric_series(
        "link_clicks", first=DAY - dt.timedelta(days=1), last=DAY + dt.timedelta(days=1)
    )
    assert [p.value for p in points] == [None, 1, 0]


def test_ratios_are_ratios_of_sums_and_followers_a_level(setup, org):
    at = dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE)
    for visitor in "abcd":
        _click(setup["link"], at, visitor=visitor)
    Conversion.objects.create(
        kind="purchase",
        value=Decimal("120"),
        currency="USD",
        occurred_at=at,
        link=setup["link"],
        campaign=setup["campaign"],
        attribution="click",
    )
    Conversion.objects.create(
        kind="purchase",
        value=Decimal("99"),
        currency="EUR",
        occurred_at=at,
        campaign=setup["campaign"],
        attribution="coupon",
    )
    TimeEntryFactory(day=DAY, minutes=90, campaign=setup["campaign"])
    account = setup["account"]
    FollowerCount.objects.create(account=account, day=DAY - dt.timedelta(days=2), followers=100)
    FollowerCount.objects.create(account=account, day=DAY, followers=130)
    rebuild()
    week = (DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=3))
    value = lambda m: metric_value(m, scope=ORG, first=week[0], last=week[1])  # noqa: E731
    assert value("conversions") == 2
    assert value("revenue") == Decimal("120")  # the organisation's currency only
    assert value("conversion_rate") == Decimal(50)  # 2 of 4 unique visitors
    assert value("hours_spent") == Decimal("1.5")
    assert value("staff_cost") == Decimal("75")
    assert value("cost_per_conversion") == Decimal("37.5")
    assert value("roi") == Decimal(60)  # (120 − 75) ÷ 75
    assert value("followers") == 130
    assert (
        metric_value("followers", first=DAY - dt.timedelta(days=2), last=DAY - dt.timedelta(days=1))
        == 100
    )


@pytest.mark.parametrize(
    "zone, days",
    [
        ("UTC", [(DAY, DAY)]),
        ("America/New_York", [(DAY - dt.timedelta(days=1), DAY)]),
        ("Asia/Tokyo", [(DAY, DAY + dt.timedelta(days=1))]),
    ],
)
def test_a_marked_utc_day_recomputes_thelocal_days_it_overlaps_and_no_more(zone, days):
    assert local_days([DAY], ZoneInfo(zone)) == days


def test_verify_says_when_the_differences_are_marked_days_waiting_for_the_pass(setup):
    at = dt.datetime.combine(DAY, dt.time(9), tzinfo=ZONE)
    rebuild()
    _click(setup["link"], at)
    mark(Family.CLICKS, [at])
    with pytest.raises(CommandError, match="1 marked days wait for the next pass"):
        call_command("metrics_verify", "--quiet")
    recompute_marked()
    call_command("metrics_verify", "--quiet")
