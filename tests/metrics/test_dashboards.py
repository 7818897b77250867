"""The dashboards: a department's, which activities pay off, the marketing overview. Their
numbers equal counts made straight from the raw rows after a rebuild, every number links to
exactly those rows, every table downloads as CSV, a bad period is a form error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.links.models import Click, TrackedLink
from campaigns.offers.models import Conversion
from campaigns.timelog.models import TimeEntry
from listening.models import InboxItem
from metrics import dashboard_selectors as ds
from metrics.rollups import rebuild
from tests.campaigns.helpers import client_for
from tests.factories import (
    CampaignFactory,
    GoalFactory,
    KPIFactory,
    MembershipFactory,
    ScheduledPostFactory,
    SourceFactory,
    SourceRunFactory,
    SourceTweetFactory,
    TimeEntryFactory,
    TweetFactory,
    XAccountFactory,
    XUserFactory,
)

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Europe/Berlin")
DAY = dt.date(2026, 11, 10)  # a Tuesday
RANGE = {"range": "custom", "start": "2026-11-02", "end": "2026-11-15"}


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


@pytest.fixture
def org(organisation):
    organisation.time_zone = "Europe/Berlin"
    organisation.hourly_staff_cost = Decimal("40")
    organisation.currency = "EUR"
    organisation.save()
    return organisation


def _click(link, when, visitor="v1", bot=False):
    return Click.objects.create(
        link=link, clicked_at=when, visitor_key=visitor, is_bot=bot, click_id=uuid.uuid4().hex
    )


def _published(department, account, *, kind="post", when, x_id, campaign=None, **tweet):
    post = ScheduledPostFactory(
        department=department,
        account=account,
        kind=kind,
        campaign=campaign,
        status="published",
        x_post_id=x_id,
        published_at=when,
        scheduled_at=when,
    )
    author = XUserFactory(id=account.x_user_id, username=account.username)
    TweetFactory(id=x_id, author=author, created_at=when, **tweet)
    return post


@pytest.fixture
def data(org, marketing, sales):
    """Marketing's week: two published posts (one a reply), clicks (a bot too), a
    conversion, time logged, a mention, an X source run; and a week before with one click."""
    account = XAccountFactory()
    campaign = CampaignFactory(
        department=marketing,
        name="Winter sale",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        spend=Decimal("300"),
    )
    post = _published(
        marketing, account, when=at(DAY, 9), x_id=10_001, campaign=campaign, reply_count=2
    )
    reply = _published(
        marketing, account, kind="reply", when=at(DAY, 10), x_id=10_002, like_count=7
    )
    link = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="dash1", campaign=campaign, post=post
    )
    reply_link = TrackedLink.objects.create(
        destination="https://shop.example.com/r", code="dash2", post=reply
    )
    for visitor in ("a", "a", "b"):
        _click(link, at(DAY, 13), visitor)
    _click(link, at(DAY, 13), "bot", bot=True)
    _click(reply_link, at(DAY + dt.timedelta(days=1)), "c")
    _click(link, at(DAY - dt.timedelta(days=7)), "old")  # the period before
    # Late at night in Berlin is already the next day in UTC: it counts on the 15th.
    _click(link, dt.datetime(2026, 11, 15, 23, 30, tzinfo=ZONE), "late")
    Conversion.objects.create(
        kind="purchase",
        value=Decimal("120.00"),
        currency="EUR",
        occurred_at=at(DAY, 15),
        link=link,
        campaign=campaign,
        attribution="click",
        channel="api",
        external_id="o-1",
    )
    TimeEntryFactory(department=marketing, campaign=campaign, day=DAY, minutes=180)
    TimeEntryFactory(department=marketing, day=DAY, minutes=60, activity="replying")
    mention = TweetFactory(created_at=at(DAY, 8))
    InboxItem.objects.create(
        tweet=mention, account=account, department=marketing, received_at=at(DAY, 8)
    )
    source = SourceFactory(account=account, department=marketing)
    SourceTweetFactory(source=source, tweet=mention)
    SourceRunFactory(source=source, started_at=at(DAY, 7), cost=Decimal("0.5000"))
    rebuild()
    return {
        "account": account,
        "campaign": campaign,
        "post": post,
        "reply": reply,
        "link": link,
        "source": source,
    }


def url(slug="marketing", **query):
    path = reverse("departments:dashboard", args=[slug])
    return path if not query else f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"


def figures(response) -> dict:
    return {f.key: f for f, _, _ in response.context["figures"]}


def links(response) -> dict:
    return {f.key: link for f, link, _ in response.context["figures"]}


def previous_links(response) -> dict:
    return {f.key: link for f, _, link in response.context["figures"]}


# --- the department dashboard --------------------------------------------------------------


def test_every_member_and_admin_sees_it_and_anonymous_is_redirected(
    client, owner, colleague, admin_user, marketing
):
    for user in (owner, colleague, admin_user):
        client.force_login(user)
        response = client.get(url())
        assert response.status_code == 200, user
        assert b"Marketing dashboard" in response.content
    client.logout()
    response = client.get(url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page", ["departments:overview", "departments:activities"])
def test_every_member_and_admin_sees_the_overview_and_activities(
    client, owner, colleague, admin_user, org, page
):
    for user in (owner, colleague, admin_user):
        client.force_login(user)
        assert client.get(reverse(page)).status_code == 200, user


def test_without_data_every_figure_says_no_data_yet(client, owner, org, marketing):
    client.force_login(owner)
    response = client.get(url())
    assert response.status_code == 200
    assert all(f.value is None for f in figures(response).values())
    assert b"No data yet for Marketing in this period" in response.content
    assert b"no data yet" in response.content


def test_figures_equal_the_raw_rows(client, owner, data, marketing):
    client.force_login(owner)
    response = client.get(url(**RANGE))
    assert response.status_code == 200
    f = figures(response)
    start = at(dt.date(2026, 11, 2), 0)
    end = at(dt.date(2026, 11, 16), 0)
    real = Click.objects.filter(
        is_bot=False, clicked_at__gte=start, clicked_at__lt=end, link__post__department=marketing
    )
    assert f["link_clicks"].value == real.count() == 6
    # Unique visitors count per day: old on the 3rd, a and b on the 10th, c on the 11th,
    # late on the 15th.
    assert f["unique_clicks"].value == 5
    assert f["conversions"].value == 1
    assert f["revenue"].value == Decimal("120.00")
    assert f["conversion_rate"].value == Decimal(20)  # 1 ÷ 5 visitors
    assert f["posts_published"].value == 2
    assert f["mentions"].value == 1
    assert f["impressions"].value == 240  # two posts × 120
    # Engagements: X's own figure is empty, so likes + replies + reposts + quotes.
    assert f["engagements"].value == (3 + 2 + 1) + (7 + 0 + 1)
    # Cost: 4 hours × 40 plus the campaign's spend over 14 of its 30 days.
    assert f["cost"].value == Decimal(160) + Decimal(10) * 14
    # The period before (19 Oct – 1 Nov) is before the first click: no data yet.
    assert f["link_clicks"].previous is None


def test_the_previous_period_has_the_same_length_and_the_change_is_shown(
    client, owner, data, marketing
):
    client.force_login(owner)
    response = client.get(url(range="custom", start="2026-11-09", end="2026-11-15"))
    f = figures(response)
    previous = response.context["previous"]
    assert (previous.first, previous.last) == (dt.date(2026, 11, 2), dt.date(2026, 11, 8))
    assert f["link_clicks"].value == 5
    assert f["link_clicks"].previous == 1
    assert f["link_clicks"].change == 4
    assert f["link_clicks"].trend == "better"
    # The period before's number links to its own rows too.
    before = client.get(previous_links(response)["link_clicks"])
    assert before.context["page"].paginator.count == f["link_clicks"].previous
    assert "▲ 4 (400 %)" in response.content.decode()


def test_named_periods_end_today():
    today = dt.date(2026, 11, 12)  # a Thursday
    assert ds.period_for("week", today=today) == ds.Period(dt.date(2026, 11, 9), today)
    assert ds.period_for("4w", today=today) == ds.Period(dt.date(2026, 10, 16), today)
    assert ds.period_for("quarter", today=today) == ds.Period(dt.date(2026, 10, 1), today)
    assert ds.Period(dt.date(2026, 11, 9), today).previous() == ds.Period(
        dt.date(2026, 11, 5), dt.date(2026, 11, 8)
    )


def test_every_number_links_to_exactly_its_rows(client, owner, data, marketing):
    client.force_login(owner)
    response = client.get(url(**RANGE))
    f, link = figures(response), links(response)

    clicks = client.get(link["link_clicks"])
    assert clicks.status_code == 200
    assert clicks.context["page"].paginator.count == f["link_clicks"].value

    conversions = client.get(link["conversions"])
    assert conversions.status_code == 200
    assert conversions.context["page"].paginator.count == f["conversions"].value

    posts = client.get(link["posts_published"])
    assert posts.status_code == 200
    assert posts.context["page"].paginator.count == f["posts_published"].value

    mentions = client.get(link["mentions"])
    assert mentions.status_code == 200
    assert len(mentions.context["posts"]) == f["mentions"].value == 1

    # A lead sees the team's time behind the cost.
    assert link["cost"].startswith(reverse("campaigns:time_team"))
    assert client.get(link["cost"]).status_code == 200


def test_cost_links_to_campaigns_for_who_cannot_see_the_team_time(client, data, marketing):
    member = MembershipFactory(department=marketing, role="member").user
    client.force_login(member)
    response = client.get(url(**RANGE))
    assert links(response)["cost"].startswith(reverse("campaigns:campaign_list"))


def test_top_posts_and_campaign_results(client, owner, data):
    client.force_login(owner)
    response = client.get(url(**RANGE))
    top = [(p.post_id, p.clicks, p.visitors) for p, _ in response.context["top_clicks"]]
    assert top == [(data["post"].pk, 5, 4), (data["reply"].pk, 1, 1)]
    engaged = [(p.post_id, p.engagements) for p in response.context["top_engaged"]]
    assert engaged == [(data["reply"].pk, 8), (data["post"].pk, 6)]
    ((result, clicks_link, _),) = response.context["campaigns"]
    assert result.campaign == data["campaign"]
    assert result.figures["link_clicks"] == 5
    assert result.figures["conversions"] == 1
    assert result.figures["revenue"] == Decimal("120.00")
    # Cost: the 3 campaign hours × 40 and 14 days of spend.
    assert result.figures["cost"] == Decimal(120) + Decimal(140)
    assert client.get(clicks_link).context["page"].paginator.count == 5


@pytest.mark.parametrize(
    ("table", "first_row"),
    [
        ("figures", ["link_clicks", "Link clicks", "2026-11-02", "2026-11-15", "6.00"]),
        ("daily", ["2026-11-02", "", ""]),
        ("top_clicks", None),
        ("top_engagements", None),
        ("campaigns", ["Winter sale"]),
    ],
)
def test_every_table_exports_csv(client, owner, data, table, first_row):
    client.force_login(owner)
    response = client.get(url(**RANGE, format="csv", table=table))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) > 1
    if first_row:
        assert rows[1][: len(first_row)] == first_row


def test_daily_csv_has_every_day_of_the_period(client, owner, data):
    client.force_login(owner)
    response = client.get(url(**RANGE, format="csv", table="daily"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[0] for r in rows[1:]] == [
        (dt.date(2026, 11, 2) + dt.timedelta(days=n)).isoformat() for n in range(14)
    ]
    assert {r[0]: r[1] for r in rows[1:]}["2026-11-10"] == "3.00"


@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "start": "2026-13-01", "end": "2026-11-15"},
        {"range": "custom", "start": "2026-11-15", "end": "2026-11-01"},
        {"range": "custom", "start": "0001-01-01", "end": "2026-11-01"},
        {"range": "custom", "start": "2020-01-01", "end": "2026-11-01"},
        {"range": "custom"},
        {"range": "decade"},
        {"start": "9999-12-31"},
    ],
)
def test_a_bad_range_is_a_form_error(client, owner, org, marketing, query):
    client.force_login(owner)
    response = client.get(url(**query))
    assert response.status_code == 422
    assert response.context["form"].errors
    assert b"That period cannot be shown" in response.content


def test_a_range_change_through_htmx_swaps_the_body(client, owner, data):
    client.force_login(owner)
    response = client.get(url(range="week"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dashboard-body">')
    assert "<html" not in body


def test_an_unknown_department_is_404(client, owner, org):
    client.force_login(owner)
    assert client.get(url("nope")).status_code == 404


def test_the_dashboard_shows_the_department_kpis(client, owner, org, marketing):
    goal = GoalFactory(department=marketing, title="Grow traffic")
    KPIFactory(goal=goal, metric="link_clicks", name="Weekly clicks")
    client.force_login(owner)
    response = client.get(url())
    assert b"Grow traffic" in response.content
    assert b"Weekly clicks" in response.content


def test_the_dashboard_reads_a_bounded_number_of_queries(
    client, owner, data, marketing, django_assert_max_num_queries
):
    for n in range(3):
        goal = GoalFactory(department=marketing)
        KPIFactory(goal=goal, metric="link_clicks")
        CampaignFactory(department=marketing, name=f"More {n}")
    client.force_login(owner)
    client.get(url())  # sessions and caches warm
    with django_assert_max_num_queries(15):
        response = client.get(url(**RANGE))
    assert response.status_code == 200


# --- which activities pay off ---------------------------------------------------------------


def activities_url(**query):
    path = reverse("departments:activities")
    return path if not query else f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"


def test_activities_without_data_say_what_to_do(client, owner, org, marketing):
    client.force_login(owner)
    response = client.get(activities_url())
    assert response.status_code == 200
    assert b"Nothing to compare in these weeks yet" in response.content
    assert b"once the inbox lands" in response.content or b"log the time" in response.content


def test_activity_rows_equal_the_raw_rows_with_intervals(client, owner, data, marketing):
    # Enough posts and hours for the post row to tell.
    for n in range(4):
        _published(marketing, data["account"], when=at(DAY, 14 + n), x_id=20_000 + n, like_count=1)
    rebuild()  # the table reads the rollup
    client.force_login(owner)
    response = client.get(activities_url(start="2026-11-09", end="2026-11-09"))
    assert response.status_code == 200
    rows = {(r.department_id, r.label): r for r in response.context["rows"]}
    post = rows[(marketing.pk, "Post")]
    assert post.week == dt.date(2026, 11, 9)
    assert post.posts == 5
    assert post.clicks == 3 + 1  # the 10th's three and the late one on the 15th
    assert post.visitors == 2 + 1
    assert post.conversions == 1
    assert post.revenue == Decimal("120.00")
    assert post.hours == Decimal("3.00")  # writing → post
    assert post.x_spend == Decimal("0.5000")
    assert post.replies == 2
    assert not post.too_few
    clicks = next(c for c in post.cells if c["key"] == "clicks")
    assert clicks["hour"].value == pytest.approx(4 / 3)
    assert clicks["hour"].low < clicks["hour"].value < clicks["hour"].high
    assert clicks["dollar"].value == pytest.approx(8)
    reply = rows[(marketing.pk, "Reply")]
    assert (reply.posts, reply.clicks, reply.hours) == (1, 1, Decimal("1.00"))
    assert reply.too_few
    assert b"too few to tell" in response.content
    assert b"[" in response.content  # the intervals
    assert b"Direct messages are counted once the inbox lands" in response.content


def test_activity_links_lead_to_the_rows(client, owner, data, marketing):
    client.force_login(owner)
    response = client.get(activities_url(start="2026-11-09", end="2026-11-15"))
    row = next(r for r in response.context["rows"] if r.label == "Reply")
    assert client.get(row.clicks_url).context["page"].paginator.count == row.clicks
    assert client.get(row.posts_url).context["page"].paginator.count == row.posts


def test_count_rates_and_their_intervals():
    rate = ds.count_rate(100, Decimal(10))
    assert rate.value == 10
    assert rate.low == pytest.approx((100 - 19.6) / 10)
    assert rate.high == pytest.approx((100 + 19.6) / 10)
    zero = ds.count_rate(0, Decimal(2))
    assert zero.low == 0 and zero.high == pytest.approx(3.689 / 2, rel=1e-3)
    assert ds.count_rate(3, None) is None
    assert ds.count_rate(3, Decimal(0)) is None
    revenue = ds.amount_rate(Decimal(400), 4, Decimal(2))
    assert (revenue.value, revenue.low, revenue.high) == pytest.approx((200, 4, 396))


def test_activities_export_csv(client, owner, data):
    client.force_login(owner)
    response = client.get(activities_url(start="2026-11-09", end="2026-11-15", format="csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    post = next(r for r in rows if r["activity"] == "Post")
    assert post["clicks"] == "4"
    assert float(post["clicks_per_hour_low95"]) < float(post["clicks_per_hour"])


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-11-15", "end": "2026-11-01"},
        {"start": "2020-01-01", "end": "2026-11-01"},
        {"start": "banana"},
        {"department": "nope"},
    ],
)
def test_bad_weeks_are_a_form_error(client, owner, org, marketing, query):
    client.force_login(owner)
    response = client.get(activities_url(**query))
    assert response.status_code == 422
    assert response.context["form"].errors


def test_activities_read_a_bounded_number_of_queries(
    client, owner, data, django_assert_max_num_queries
):
    client.force_login(owner)
    client.get(activities_url())
    with django_assert_max_num_queries(15):
        assert client.get(activities_url(start="2026-11-02", end="2026-11-15")).status_code == 200


# --- the marketing overview ------------------------------------------------------------------


def test_the_overview_without_data_says_what_to_do(client, owner, org, marketing):
    client.force_login(owner)
    response = client.get(reverse("departments:overview"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing planned for the next 7 days" in content
    assert "No X account yet" in content
    assert "once the inbox exists" in content


def test_the_overview_is_linked_from_the_menu(client, owner, org):
    client.force_login(owner)
    response = client.get(reverse("departments:home"))
    assert reverse("departments:overview").encode() in response.content


def test_the_overview_lists_what_waits(client, owner, colleague, admin_user, data, marketing):
    now = timezone.now()
    coming = ScheduledPostFactory(
        department=marketing,
        account=data["account"],
        status="scheduled",
        scheduled_at=now + dt.timedelta(days=2),
        text="Coming up on Thursday",
    )
    ScheduledPostFactory(
        department=marketing,
        account=data["account"],
        status="scheduled",
        scheduled_at=now + dt.timedelta(days=9),
        text="Too far ahead",
    )
    review = ScheduledPostFactory(
        department=marketing,
        account=data["account"],
        status="in_review",
        review_round=1,
        scheduled_at=now + dt.timedelta(days=1),
        text="Please approve me",
    )
    failed = ScheduledPostFactory(
        department=marketing, account=data["account"], status="failed", error="X said no"
    )
    SourceRunFactory(source=data["source"], started_at=now, cost=Decimal("0.2500"))
    goal = GoalFactory(department=marketing)
    KPIFactory(goal=goal, metric="link_clicks")

    client.force_login(owner)
    response = client.get(reverse("departments:overview"))
    assert response.status_code == 200
    assert coming in response.context["next_posts"]
    assert all(p.text != "Too far ahead" for p in response.context["next_posts"])
    assert [p for p, _ in response.context["awaiting"]] == [review]
    assert failed in response.context["failed"]
    spend = {s.pk: s.month_cost for s in response.context["sources"]}
    assert spend[data["source"].pk] >= Decimal("0.25")
    line = next(x for x in response.context["lines"] if x.department == marketing)
    assert line.kpis == 1
    assert b"@brightline" in response.content

    # A lead of another department has nothing of Marketing's to approve.
    client.force_login(colleague)
    assert client.get(reverse("departments:overview")).context["awaiting"] == []
    client.force_login(admin_user)
    assert [p for p, _ in client.get(reverse("departments:overview")).context["awaiting"]] == [
        review
    ]


def test_the_overview_clicks_trend_equals_the_rows(client, owner, marketing, org):
    # The organisation's day (Berlin), not the server's: they differ around midnight.
    today = timezone.localdate(timezone=ZONE)
    account = XAccountFactory()
    post = _published(marketing, account, when=timezone.now(), x_id=30_001)
    link = TrackedLink.objects.create(destination="https://x.example/", code="ov1", post=post)
    _click(link, timezone.now(), "a")
    _click(link, timezone.now(), "b")
    rebuild()
    client.force_login(owner)
    response = client.get(reverse("departments:overview"))
    line = next(x for x in response.context["lines"] if x.department == marketing)
    assert line.clicks[-1] == 2
    assert line.clicks_total == 2
    assert client.get(line.clicks_url).context["page"].paginator.count == 2
    assert line.bars[-1][0] == today - dt.timedelta(days=today.weekday())


def test_the_overview_exports_csv(client, owner, data):
    client.force_login(owner)
    for table in ("departments", "sources"):
        response = client.get(reverse("departments:overview") + f"?format=csv&table={table}")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) >= 2


def test_anonymous_visitors_are_sent_to_sign_in(client, org):
    for name in ("departments:overview", "departments:activities"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_overview_reads_a_bounded_number_of_queries(
    client, owner, data, marketing, sales, django_assert_max_num_queries
):
    for department in (marketing, sales):
        for _ in range(3):
            KPIFactory(goal=GoalFactory(department=department), metric="link_clicks")
    now = timezone.now()
    for status, when in (
        ("in_review", now + dt.timedelta(days=1)),
        ("in_review", now + dt.timedelta(days=2)),
        ("scheduled", now + dt.timedelta(days=3)),
        ("scheduled", now - dt.timedelta(hours=2)),  # late
        ("failed", now - dt.timedelta(days=1)),
    ):
        ScheduledPostFactory(
            department=marketing, account=data["account"], status=status, scheduled_at=when
        )
    client.force_login(owner)
    response = client.get(reverse("departments:overview"))
    assert len(response.context["awaiting"]) == 2
    assert response.context["late"] and response.context["failed"]
    with django_assert_max_num_queries(15):
        assert client.get(reverse("departments:overview")).status_code == 200


def test_time_entries_count_for_their_department_and_activity(org, marketing):
    TimeEntryFactory(department=marketing, day=DAY, minutes=90, activity="dms")
    rebuild()
    rows = ds.activity_table(first=DAY, last=DAY, zone=ZONE, currency="EUR")
    (row,) = rows
    assert (row.label, row.hours, row.awaits_inbox) == ("Direct message", Decimal("1.50"), True)
    assert TimeEntry.objects.count() == 1


# --- the rows behind the numbers: the clicks page and the filters dashboards link with ----------


@pytest.fixture
def attributed(org, marketing, sales):
    """A Sales campaign whose link sits in a Marketing post, and a bare Sales link."""
    account = XAccountFactory()
    campaign = CampaignFactory(department=sales)
    post = _published(marketing, account, when=at(DAY), x_id=40_001, campaign=campaign)
    in_post = TrackedLink.objects.create(
        destination="https://a.example/", code="att-p", campaign=campaign, post=post
    )
    bare = TrackedLink.objects.create(
        destination="https://a.example/", code="att-c", campaign=campaign
    )
    _click(in_post, at(DAY), "a")
    _click(bare, at(DAY), "b")
    _click(bare, at(DAY + dt.timedelta(days=1)), "=cmd|' /C calc'!A0")
    for n, link in enumerate((in_post, bare)):
        Conversion.objects.create(
            kind="purchase",
            value=Decimal(10),
            currency="EUR",
            occurred_at=at(DAY),
            link=link,
            campaign=campaign,
            attribution="click",
            channel="api",
            external_id=f"att-{n}",
        )
    return {"post": post, "in_post": in_post, "bare": bare}


def test_clicks_and_conversions_filter_by_department_as_the_rollup_attributes_them(
    client, owner, attributed, marketing, sales
):
    client.force_login(owner)
    clicks = reverse("campaigns:click_list")
    conversions = reverse("campaigns:conversion_list")
    # The post's department first, else the campaign's.
    marketing_clicks = client.get(f"{clicks}?department=marketing").context["page"]
    assert [c.link for c in marketing_clicks] == [attributed["in_post"]]
    assert client.get(f"{clicks}?department=sales").context["page"].paginator.count == 2
    assert client.get(f"{conversions}?department=marketing").context["page"].paginator.count == 1
    assert client.get(f"{conversions}?department=sales").context["page"].paginator.count == 1
    # Whole days in the organisation's zone.
    day = DAY.isoformat()
    one_day = client.get(f"{clicks}?clicked_after={day}&clicked_before={day}")
    assert one_day.context["page"].paginator.count == 2
    by_post = client.get(f"{clicks}?post={attributed['post'].pk}&kind=post")
    assert by_post.context["page"].paginator.count == 1


def test_the_clicks_page_exports_csv_that_opens_as_data(client, owner, attributed):
    client.force_login(owner)
    response = client.get(reverse("campaigns:click_list") + "?department=sales&format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    assert {r["link"] for r in rows} == {"att-c"}


def test_the_clicks_page_refuses_bad_filters_without_a_server_error(client, owner, attributed):
    client.force_login(owner)
    for query in ("clicked_after=2026-02-30", "department=nope", "post=abc", "kind=tweet"):
        response = client.get(reverse("campaigns:click_list") + "?" + query)
        assert response.status_code == 200, query
        assert response.context["page"].paginator.count == 0
    client.logout()
    assert client.get(reverse("campaigns:click_list")).status_code == 302


def test_posts_filter_by_the_day_they_were_published(client, owner, attributed):
    client.force_login(owner)
    day = DAY.isoformat()
    listed = client.get(
        reverse("campaigns:post_list") + f"?published_after={day}&published_before={day}"
    )
    assert [p.pk for p in listed.context["page"]] == [attributed["post"].pk]
    later = (DAY + dt.timedelta(days=1)).isoformat()
    assert (
        not client.get(reverse("campaigns:post_list") + f"?published_after={later}")
        .context["page"]
        .object_list
    )


def test_the_api_takes_the_new_filters(client, owner, attributed):
    client.force_login(owner)
    ok = client.get("/api/v1/clicks/?department=marketing&clicked_after=2026-11-10")
    assert ok.status_code == 200
    assert len(ok.json()["results"]) == 1
    assert client.get("/api/v1/clicks/?department=nope").status_code == 400
    assert client.get("/api/v1/conversions/?department=sales").status_code == 200
    assert client.get("/api/v1/scheduled-posts/?published_after=2999-13-01").status_code == 400


def test_activities_swap_their_body_through_htmx_and_show_the_rate_asked_for(client, owner, data):
    client.force_login(owner)
    response = client.get(
        activities_url(start="2026-11-09", end="2026-11-15", per="dollar"), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="activities-body">')
    assert "/$: " in body and "/h: " not in body


# --- the activity table's API ---------------------------------------------------------------

ACTIVITIES_API = "/api/v1/metrics/activities/"


def test_the_activities_api_answers_the_pages_table(data, marketing, owner, colleague, admin_user):
    for n in range(4):
        _published(marketing, data["account"], when=at(DAY, 14 + n), x_id=30_000 + n)
    rebuild()
    for user in (owner, colleague, admin_user):  # every member reads every department's
        api = client_for(user)
        response = api.get(ACTIVITIES_API, {"start": "2026-11-09", "end": "2026-11-09"})
        assert response.status_code == 200, response.content
        rows = {(r["department"], r["activity_label"]): r for r in response.json()}
        post = rows[("marketing", "Post")]
        assert post["week"] == "2026-11-09"
        assert post["hours"] == "3.0000" and post["x_api_spend"] == "0.5000"
        measures = {m["key"]: m for m in post["measures"]}
        assert measures["posts"]["value"] == "5.0000"
        assert measures["clicks"]["value"] == "4.0000"
        clicks_per_hour = measures["clicks"]["per_hour"]
        assert clicks_per_hour["value"] == pytest.approx(4 / 3)
        assert clicks_per_hour["low"] < clicks_per_hour["value"] < clicks_per_hour["high"]
        assert rows[("marketing", "Reply")]["too_few_to_tell"] is True


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "banana"}, "start"),
        ({"start": "2026-11-09", "end": "2026-11-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-11-01"}, "end"),
        ({"department": "nope"}, "department"),
        ({"weeks": "4"}, "weeks"),
    ],
)
def test_the_activities_api_answers_bad_parameters_with_400(org, owner, query, field):
    response = client_for(owner).get(ACTIVITIES_API, query)
    assert response.status_code == 400
    assert field in response.json()


def test_the_activities_api_needs_a_signed_in_caller(org):
    assert APIClient().get(ACTIVITIES_API).status_code in (401, 403)


def test_clicks_through_campaign_links_only_say_so_where_top_posts_would_be(
    client, owner, org, marketing
):
    """No post's link was clicked, but the campaign's own link was: the empty top-posts
    card says where the clicks went instead of seeming to contradict the figure."""
    campaign = CampaignFactory(department=marketing)
    link = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="camp1", campaign=campaign
    )
    for n in range(3):
        Click.objects.create(
            link=link, clicked_at=at(DAY), visitor_key=f"v{n}", click_id=uuid.uuid4().hex
        )
    rebuild()
    client.force_login(owner)
    response = client.get(url(**RANGE))
    assert figures(response)["link_clicks"].value == 3
    assert response.context["top_clicks"] == []
    assert "None of the period's" in response.content.decode()


def test_top_posts_of_many_departments_rank_within_each(data, marketing, sales):
    """The review's highlights read every department's top posts in one query: each
    department's own posts, ranked within it, at most `limit` each."""
    account = data["account"]
    for n, clicks in enumerate([4, 2, 9]):
        post = _published(sales, account, when=at(DAY, 9 + n), x_id=20_001 + n)
        link = TrackedLink.objects.create(
            destination="https://shop.example.com/s", code=f"sales{n}", post=post
        )
        for c in range(clicks):
            _click(link, at(DAY, 14), f"s{n}-{c}")
    rebuild()
    period = ds.Period(dt.date(2026, 11, 2), dt.date(2026, 11, 15))
    found = ds.top_posts_by_clicks_many(departments=[marketing, sales], period=period, limit=2)
    assert [(p.post_id, p.clicks) for p in found[marketing.pk]] == [
        (data["post"].pk, 5),
        (data["reply"].pk, 1),
    ]
    sales_posts = [p.clicks for p in found[sales.pk]]
    assert sales_posts == [9, 4]
    # The same as each department read alone.
    alone = ds.top_posts_by_clicks(department=sales, period=period)
    assert [p.clicks for p in alone] == [9, 4, 2]
    engaged = ds.top_posts_by_engagements_many(
        departments=[marketing, sales], period=period, zone=ZONE, limit=1
    )
    assert [p.post_id for p in engaged[marketing.pk]] == [data["reply"].pk]


def test_the_inbox_and_sales_figures_show_where_the_department_has_them(client, owner, data, sales):
    """Leads, touches, answers…: on a department's page where counted in either period,
    linked to the rows' page; left out elsewhere ("no data yet" on every page is noise)."""
    from metrics.models import DailyRollup, Dim

    DailyRollup.objects.create(
        day=DAY, metric="leads", dim=Dim.DEPARTMENT, dim_id=sales.pk, count=3
    )
    DailyRollup.objects.create(day=DAY, metric="leads", dim=Dim.ORG, dim_id=0, count=3)
    client.force_login(owner)
    mine = {f.key for f, _, _ in client.get(url(**RANGE)).context["figures"]}
    assert "leads" not in mine and "replies" not in mine
    response = client.get(url("sales", **RANGE))
    if response.status_code != 200:  # the owner may read only their own department
        return
    shown = {f.key: (f.value, link) for f, link, _ in response.context["figures"]}
    assert shown["leads"] == (3, reverse("prospects:summary"))
    # The prospects' rows count from their first: no touch in the period is a real 0.
    assert shown["touches"][0] == 0
