"""A department lead's dashboard in a real browser: open it, change the period, follow the
clicks figure to the clicks behind it, download them as CSV; the activity table shows its
intervals."""

from __future__ import annotations

import csv
import datetime as dt
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.links.models import Click, TrackedLink
from metrics.rollups import rebuild
from tests.factories import (
    GoalFactory,
    KPIFactory,
    ScheduledPostFactory,
    TimeEntryFactory,
    TweetFactory,
    XAccountFactory,
    XUserFactory,
)

# The organisation's zone in these tests: its day, not the server's (they differ near midnight).
BERLIN = ZoneInfo("Europe/Berlin")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def marketing_week(organisation, marketing):
    """Six published posts of Marketing in the last days, with 2 clicks each (and a bot's),
    and three hours of writing: enough for the activity table to tell."""
    organisation.time_zone = "Europe/Berlin"
    organisation.save()
    now = timezone.now()
    account = XAccountFactory()
    author = XUserFactory(id=account.x_user_id, username=account.username)
    for n in range(6):
        when = now - dt.timedelta(days=1, hours=n)
        post = ScheduledPostFactory(
            department=marketing,
            account=account,
            status="published",
            x_post_id=50_000 + n,
            published_at=when,
            scheduled_at=when,
            text=f"Winter tip {n}",
        )
        TweetFactory(id=50_000 + n, author=author, created_at=when)
        link = TrackedLink.objects.create(
            destination="https://shop.example.com/", code=f"j{n}", post=post
        )
        for visitor in ("a", "b", "bot"):
            Click.objects.create(
                link=link,
                clicked_at=when + dt.timedelta(minutes=5),
                visitor_key=visitor,
                is_bot=visitor == "bot",
                click_id=uuid.uuid4().hex,
            )
    today = timezone.localdate(timezone=BERLIN)
    TimeEntryFactory(department=marketing, day=today - dt.timedelta(days=1), minutes=180)
    rebuild()
    return {"clicks": 12, "hours": Decimal(3)}


def test_lead_reads_the_dashboard_and_follows_clicks_to_the_csv(
    signed_in, live_server, owner, marketing, marketing_week, tmp_path
):
    page = signed_in(owner)
    page.locator("#site-menu").get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_role("heading", name="Marketing overview")).to_be_visible()
    page.locator("#departments").get_by_role("link", name="Marketing").first.click()
    expect(page.get_by_role("heading", name="Marketing dashboard")).to_be_visible()
    page.wait_for_load_state()  # htmx (a deferred script) listens from here on
    clicks = page.locator('[data-metric="link_clicks"] .stat')
    expect(clicks).to_have_text("12")
    expect(page.locator("#dashboard-chart")).to_be_visible()

    # A new period: HTMX swaps the body and the address keeps it.
    page.get_by_label("Period").select_option("quarter")
    expect(page).to_have_url(re.compile(r"range=quarter"))
    quarter = timezone.localdate(timezone=BERLIN).replace(
        day=1, month=(timezone.localdate(timezone=BERLIN).month - 1) // 3 * 3 + 1
    )
    expect(page.locator("#period-label")).to_contain_text(quarter.strftime("%-d %b %Y"))
    expect(clicks).to_have_text("12")

    # A bad custom period is a form error, not a broken page.
    page.get_by_label("Period").select_option("custom")
    expect(page.get_by_text("That period cannot be shown.")).to_be_visible()
    # Typing the days picks the custom period by itself.
    page.get_by_label("Period").select_option("week")
    expect(page).to_have_url(re.compile(r"range=week"))
    yesterday = timezone.localdate(timezone=BERLIN) - dt.timedelta(days=1)
    page.get_by_label("From (custom)").fill(yesterday.isoformat())
    page.get_by_label("To (custom)").fill(yesterday.isoformat())
    expect(page).to_have_url(re.compile(r"range=custom.*end=" + yesterday.isoformat()))
    expect(page.locator("#period-label")).to_contain_text("(1 day)")

    page.get_by_label("Period").select_option("4w")
    # The figure reads 12 before the swap too: wait for the swap itself (the address
    # changes after it), or the click lands on the element being replaced.
    expect(page).to_have_url(re.compile(r"range=4w"))
    expect(page.locator(".htmx-request")).to_have_count(0)
    expect(page.locator('[data-metric="link_clicks"] .stat')).to_have_text("12")
    page.locator('[data-metric="link_clicks"] .stat a').click()
    expect(page).to_have_url(re.compile(r"/links/clicks/\?.*department=marketing"))
    expect(page.get_by_text("12 clicks")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / "clicks.csv"
    download_info.value.save_as(path)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == marketing_week["clicks"]
    assert {r["is_bot"] for r in rows} == {"False"}

    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Figures as CSV", exact=True).click()
    path = tmp_path / "figures.csv"
    download_info.value.save_as(path)
    with path.open() as f:
        figures = {r["metric"]: r for r in csv.DictReader(f)}
    assert figures["link_clicks"]["value"] == "12.00"


def test_the_activity_table_renders_with_intervals(
    signed_in, live_server, owner, marketing, marketing_week
):
    page = signed_in(owner)
    page.goto(f"{live_server.url}/metrics/activities/")
    expect(page.get_by_role("heading", name="Which activities pay off")).to_be_visible()
    row = page.locator("#activity-table tr.activity-row").filter(has_text="Post").first
    expect(row).to_contain_text("Marketing")
    # 12 clicks over 3 hours: 4 an hour, with its 95 % interval in brackets.
    expect(row).to_contain_text("/h: 4 [")
    expect(row).not_to_contain_text("too few to tell")
    expect(
        page.get_by_text("Direct messages are counted once the inbox lands.").first
    ).to_be_visible()
    expect(page.locator("#activities-help")).to_contain_text("normal approximation")


def test_lead_drills_from_a_kpi_to_the_clicks_it_counts(
    signed_in, live_server, owner, marketing, marketing_week
):
    """The KPI on the dashboard, its page, then the very clicks its actual counts."""
    today = timezone.localdate(timezone=BERLIN)
    goal = GoalFactory(
        department=marketing,
        title="Winter traffic",
        period_start=today - dt.timedelta(days=14),
        period_end=today + dt.timedelta(days=14),
    )
    KPIFactory(goal=goal, metric="link_clicks", scope="department", name="Winter clicks")
    page = signed_in(owner)
    page.goto(f"{live_server.url}/departments/{marketing.slug}/dashboard/")
    kpi = page.locator(".kpi").filter(has_text="Winter clicks")
    expect(kpi.locator(".figures a").first).to_have_text("12")
    kpi.get_by_role("link", name="Winter clicks", exact=True).click()
    expect(page.get_by_role("heading", name="Winter clicks")).to_be_visible()
    page.get_by_role("link", name="The rows behind it").click()
    expect(page).to_have_url(re.compile(r"/links/clicks/\?.*department=marketing"))
    expect(page.get_by_text("12 clicks")).to_be_visible()
