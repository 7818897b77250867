"""The rollup's department × activity kind cells and the activities table read from them:
equal to counts made straight from the raw rows (with metrics.facts' attribution), per
week, over generated rows with the awkward cases (late-night clicks on the next UTC day,
bots, a link in a post of another department's campaign, a coupon without a link, another
currency, time without a department, X posts that are not ours or not the calendar's)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from campaigns.calendar.models import ScheduledPost
from campaigns.links.models import Click, TrackedLink
from campaigns.offers.models import Conversion
from campaigns.timelog.models import TimeEntry
from listening.models import SourceRun, Tweet, XAccount
from metrics import facts
from metrics.activities import activity_table, week_of
from metrics.models import DailyRollup, Dim
from metrics.rollups import rebuild, verify
from tests.campaigns.helpers import client_for
from tests.factories import (
    CampaignFactory,
    ScheduledPostFactory,
    SourceFactory,
    SourceRunFactory,
    TimeEntryFactory,
    TweetFactory,
    XAccountFactory,
    XUserFactory,
)

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
FIRST = dt.date(2026, 11, 2)  # a Monday
LAST = dt.date(2026, 11, 22)  # the Sunday three weeks on
KINDS = ["post", "post", "thread", "reply", "quote", "repost"]
TIME_KINDS = ["writing", "replying", "reposting", "dms", "planning", "listening"]


@pytest.fixture
def org(organisation):
    organisation.time_zone = "America/New_York"
    organisation.hourly_staff_cost = Decimal("50")
    organisation.currency = "USD"
    organisation.save()
    return organisation


def _moment(rng: random.Random, first: dt.date, days: int) -> dt.datetime:
    day = first + dt.timedelta(days=rng.randrange(days))
    # Late evenings too: 23:30 in New York is the next day in UTC.
    hour, minute = rng.choice([(9, 0), (13, 15), (23, 30), (0, 10)])
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


@pytest.fixture
def rows(org, marketing, sales):
    """Three weeks of two departments' activity (and a few days either side)."""
    rng = random.Random(7)
    ours = XAccountFactory()
    author = XUserFactory(id=ours.x_user_id, username=ours.username)
    stranger = XUserFactory()
    sales_campaign = CampaignFactory(department=sales, spend=Decimal("0"))
    posts, links = [], []
    for n in range(30):
        department = (marketing, sales)[n % 2]
        when = _moment(rng, FIRST - dt.timedelta(days=3), 27)
        post = ScheduledPostFactory(
            account=ours,
            department=department,
            # Marketing's posts in Sales' campaign: they are Marketing's.
            campaign=sales_campaign if n % 3 == 0 else None,
            kind=rng.choice(KINDS),
            status="published",
            x_post_id=50_000 + n,
            published_at=when,
            scheduled_at=when,
        )
        # X may date the post a little after the calendar did.
        TweetFactory(
            id=50_000 + n,
            author=author,
            created_at=when + dt.timedelta(minutes=rng.choice([0, 1, 90])),
            reply_count=rng.randrange(5),
            like_count=rng.randrange(1, 9),
            engagements=rng.choice([None, rng.randrange(1, 40)]),
        )
        posts.append(post)
        links.append(
            TrackedLink.objects.create(
                destination="https://shop.example.com/",
                code=f"act{n}",
                post=post,
                campaign=post.campaign,
            )
        )
    TweetFactory(author=stranger, created_at=_moment(rng, FIRST, 21), reply_count=9)
    TweetFactory(author=author, created_at=_moment(rng, FIRST, 21), reply_count=9)  # not ours
    bare = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="bare", campaign=sales_campaign
    )
    for _ in range(250):
        link = rng.choice([*links, bare])
        Click.objects.create(
            link=link,
            clicked_at=_moment(rng, FIRST - dt.timedelta(days=2), 25),
            visitor_key=rng.choice(["", "v1", "v2", "v3", "v4", "v5", "v6"]),
            is_bot=rng.random() < 0.1,
            click_id=uuid.uuid4().hex,
        )
    for n in range(25):
        link = rng.choice([*links, None])
        Conversion.objects.create(
            kind="purchase",
            value=Decimal(rng.randrange(100, 9_000)) / 100,
            currency=rng.choice(["USD", "USD", "EUR"]),
            occurred_at=_moment(rng, FIRST - dt.timedelta(days=1), 23),
            link=link,
            campaign=link.campaign if link else sales_campaign,
            attribution="click" if link else "coupon",
            channel="api",
            external_id=f"act-{n}",
        )
    for _ in range(30):
        TimeEntryFactory(
            department=rng.choice([marketing, sales, None]),
            day=FIRST + dt.timedelta(days=rng.randrange(-2, 23)),
            minutes=rng.randrange(1, 200),
            activity=rng.choice(TIME_KINDS),
        )
    for department in (marketing, sales):
        source = SourceFactory(account=ours, department=department)
        for _ in range(3):
            SourceRunFactory(
                source=source,
                started_at=_moment(rng, FIRST, 21),
                cost=Decimal(rng.randrange(1, 900)) / 1000,
            )
    rebuild()


def _raw_table(first, last, department=None) -> dict:
    """(week, department id, activity) → figures, straight from the raw rows."""
    table: dict = defaultdict(lambda: defaultdict(Decimal))
    code = {kind.value: c for kind, c in facts.POST_KIND_ACTIVITY.items()}

    def day_of(moment: dt.datetime) -> dt.date | None:
        day = moment.astimezone(ZONE).date()
        return day if first <= day <= last else None

    def add(day, department_id, activity, name, value) -> None:
        if department is None or department_id == department.pk:
            table[(week_of(day), department_id, activity)][name] += value

    for post in ScheduledPost.objects.filter(status="published"):
        if day := day_of(post.published_at):
            add(day, post.department_id, code[post.kind], "posts", 1)
    visitors = defaultdict(set)
    for click in Click.objects.filter(is_bot=False, link__post__isnull=False):
        post = click.link.post
        if day := day_of(click.clicked_at):
            add(day, post.department_id, code[post.kind], "clicks", 1)
            if click.visitor_key:
                visitors[(day, post.department_id, code[post.kind])].add(click.visitor_key)
    for (day, department_id, activity), keys in visitors.items():
        add(day, department_id, activity, "visitors", len(keys))  # unique per day
    for conversion in Conversion.objects.filter(link__post__isnull=False):
        post = conversion.link.post
        if day := day_of(conversion.occurred_at):
            add(day, post.department_id, code[post.kind], "conversions", 1)
            if conversion.currency == "USD":
                add(day, post.department_id, code[post.kind], "revenue", conversion.value)
    ours = set(XAccount.objects.values_list("x_user_id", flat=True))
    for post in ScheduledPost.objects.filter(status="published"):
        tweet = Tweet.objects.filter(id=post.x_post_id, author_id__in=ours).first()
        if tweet and (day := day_of(tweet.created_at)):
            engaged = tweet.engagements
            if engaged is None:
                engaged = sum(
                    c or 0
                    for c in (
                        tweet.like_count,
                        tweet.reply_count,
                        tweet.retweet_count,
                        tweet.quote_count,
                    )
                )
            add(day, post.department_id, code[post.kind], "replies", tweet.reply_count or 0)
            add(day, post.department_id, code[post.kind], "engagements", engaged)
    minutes = defaultdict(int)
    for entry in TimeEntry.objects.filter(department__isnull=False, day__range=(first, last)):
        activity = facts.TIME_ACTIVITY.get(entry.activity, facts.ACTIVITY_OTHER)
        minutes[(week_of(entry.day), entry.department_id, activity)] += entry.minutes
    for (week, department_id, activity), total in minutes.items():
        add(week, department_id, activity, "hours", (Decimal(total) / 60).quantize(Decimal("0.01")))
    out = {key: {n: v for n, v in figures.items() if v} for key, figures in table.items()}
    return {key: figures for key, figures in out.items() if figures}


def _raw_spend(first, last) -> dict:
    spend: dict = defaultdict(Decimal)
    for run in SourceRun.objects.filter(cost__gt=0).select_related("source"):
        day = run.started_at.astimezone(ZONE).date()
        if first <= day <= last:
            spend[(week_of(day), run.source.department_id)] += run.cost
    return spend


FIGURES = ("posts", "clicks", "visitors", "conversions", "revenue", "replies", "engagements")


def _table(rows) -> dict:
    out = {}
    for row in rows:
        figures = {name: getattr(row, name) for name in FIGURES if getattr(row, name)}
        if row.hours:
            figures["hours"] = row.hours
        out[(row.week, row.department_id, row.activity)] = figures
    return out


def test_the_table_equals_the_raw_rows_week_by_week(rows, marketing, sales):
    assert verify(FIRST - dt.timedelta(days=7), LAST + dt.timedelta(days=7)) == []
    table = activity_table(first=FIRST, last=LAST)
    expected = _raw_table(FIRST, LAST)
    assert len(expected) > 20  # every kind of both departments, most weeks
    assert {name for figures in expected.values() for name in figures} == {*FIGURES, "hours"}
    assert _table(table) == expected
    spend = _raw_spend(FIRST, LAST)
    for row in table:
        assert row.x_spend == spend.get((row.week, row.department_id))
        assert row.department in (marketing, sales)


def test_one_departments_table_is_its_rows_of_the_whole(rows, marketing):
    table = activity_table(first=FIRST, last=LAST, department=marketing)
    assert {row.department_id for row in table} == {marketing.pk}
    assert _table(table) == _raw_table(FIRST, LAST, department=marketing)


def test_a_department_activity_id_packs_both():
    packed = facts.department_activity_id(1234, facts.ACTIVITY_REPOST)
    assert facts.department_activity_of(packed) == (1234, facts.ACTIVITY_REPOST)
    low, high = facts.department_activity_ids(1234)
    assert all(
        low <= facts.department_activity_id(1234, code) < high for code in facts.ACTIVITY_LABELS
    )


def test_a_department_post_id_packs_both():
    packed = facts.department_post_id(1234, 987_654_321)
    assert facts.department_post_of(packed) == (1234, 987_654_321)
    low, high = facts.department_post_ids(1234)
    assert low <= packed < high
    assert facts.department_post_ids(1235)[0] == high


def test_verify_finds_a_tampered_department_activity_cell(rows, marketing):
    cell = DailyRollup.objects.filter(dim=Dim.DEPARTMENT_ACTIVITY, metric="link_clicks").first()
    cell.count += 5
    cell.save()
    found = verify(FIRST - dt.timedelta(days=7), LAST)
    assert [(d.metric, d.dim, d.dim_id, d.day) for d in found] == [
        ("link_clicks", Dim.DEPARTMENT_ACTIVITY, cell.dim_id, cell.day)
    ]


def test_the_page_and_the_api_read_the_rollup_in_few_queries(
    rows, client, owner, colleague, admin_user, django_assert_max_num_queries
):
    query = {"start": str(FIRST), "end": str(LAST)}
    expected = _raw_table(FIRST, LAST)
    for user in (owner, colleague, admin_user):  # every member reads every department's
        api = client_for(user)
        with django_assert_max_num_queries(15):
            response = api.get("/api/v1/metrics/activities/", query)
        assert response.status_code == 200
        assert len(response.json()) == len(expected)
        client.force_login(user)
        with django_assert_max_num_queries(15):
            page = client.get(reverse("departments:activities"), query)
        assert page.status_code == 200
        assert len(page.context["rows"]) == len(expected)


def test_the_series_api_does_not_offer_the_packed_dimension(org, owner):
    response = client_for(owner).get(
        "/api/v1/metrics/series/", {"metric": "link_clicks", "dimension": "dep_activity", "id": 11}
    )
    assert response.status_code == 400
    assert "dimension" in response.json()


def test_one_pass_and_one_query_per_dimension_give_the_same_cells(rows, monkeypatch):
    """PostgreSQL groups every dimension in one pass (GROUPING SETS); other databases run a
    GROUP BY per dimension: the same cells, distinct visitors included."""
    first, last = FIRST - dt.timedelta(days=3), LAST

    def cells() -> dict:
        return {
            family: sorted(compute(first, last, ZONE), key=repr)
            for family, (compute, _) in facts.FAMILIES.items()
        }

    one_pass = cells()
    monkeypatch.setattr(facts, "_one_pass", lambda using: False)
    assert cells() == one_pass
    not_clicks = {Dim.SOURCE, Dim.REP, Dim.STAGE, Dim.PERSON}
    assert {c.dim for c in one_pass["clicks"]} == set(Dim) - not_clicks


@pytest.mark.parametrize(
    "value", [0, 4, 4.0, 1.333333, 2.005, 0.125, 1234.5, Decimal("120.0000"), Decimal("0.5")]
)
def test_the_table_shows_numbers_as_floatformat_and_intcomma_would(value):
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.defaultfilters import floatformat

    from metrics.templatetags.activities import two_places, with_commas

    assert two_places(value) == floatformat(value, "-2")
    assert with_commas(two_places(value)) == intcomma(floatformat(value, "-2"))


def test_the_api_answers_rows_as_its_serializer_documents_them(rows):
    from metrics.activities_api import ActivityRowSerializer, _row

    answered = [_row(row) for row in activity_table(first=FIRST, last=LAST)]
    assert answered
    assert ActivityRowSerializer(answered, many=True).data == answered
