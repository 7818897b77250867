"""KPI progress from the data: a KPI's actual is its metric over the goal's period and
scope (the same count the raw rows give), and one red/amber/green rule judges it."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from decimal import Decimal
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from campaigns.links.models import Click, TrackedLink
from campaigns.offers.models import Conversion
from departments import services
from departments.models import KPI, Measurement
from listening.models import InboxItem
from metrics.models import DailyRollup
from metrics.registry import METRICS, entered_by_hand, metric_scopes
from metrics.rollups import rebuild
from metrics.selectors import Rag, Source, kpi_progress, kpi_progress_many
from tests.factories import (
    CampaignFactory,
    GoalFactory,
    KPIFactory,
    MeasurementFactory,
    ScheduledPostFactory,
    SourceFactory,
    SourceTweetFactory,
    TweetFactory,
    XAccountFactory,
)

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
START = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 30)
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def org(organisation):
    organisation.time_zone = "America/New_York"
    organisation.save()
    return organisation


@pytest.fixture
def clicks(org, marketing, sales):
    """Clicks on a Marketing post's link (a Sales campaign, one X account) and on a bare
    link, inside the period, before it, after "today", late at night, and from a bot."""
    account = XAccountFactory()
    campaign = CampaignFactory(department=sales, spend=Decimal("0"))
    post = ScheduledPostFactory(account=account, department=marketing, campaign=campaign)
    link = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="kpi1", campaign=campaign, post=post
    )
    bare = TrackedLink.objects.create(destination="https://shop.example.com/", code="kpi2")

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)

    moments = [
        at(dt.date(2026, 10, 31), 23, 50),  # the day before the period
        at(START, 0, 10),
        at(dt.date(2026, 11, 7), 12),
        at(dt.date(2026, 11, 7), 13),
        at(TODAY, 23, 30),  # today, and tomorrow in UTC
        at(dt.date(2026, 11, 21), 9),  # after today
    ]
    for n, moment in enumerate(moments):
        for target in (link, bare):
            Click.objects.create(
                link=target, clicked_at=moment, visitor_key=f"v{n}", click_id=uuid.uuid4().hex
            )
    Click.objects.create(
        link=link, clicked_at=at(TODAY, 9), is_bot=True, visitor_key="bot", click_id="bot1"
    )
    rebuild(since=dt.date(2026, 10, 25))
    return {"account": account, "campaign": campaign, "post": post, "link": link}


def _raw_clicks(**filters) -> int:
    first = dt.datetime.combine(START, dt.time.min, tzinfo=ZONE)
    after_today = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time.min, tzinfo=ZONE)
    return Click.objects.filter(
        is_bot=False, clicked_at__gte=first, clicked_at__lt=after_today, **filters
    ).count()


def test_a_kpis_actual_is_the_count_the_raw_rows_give(clicks, marketing, sales):
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    sales_goal = GoalFactory(department=sales, period_start=START, period_end=END)
    kpis = [
        KPIFactory(goal=goal, metric="link_clicks", scope="department", name=""),
        KPIFactory(goal=goal, metric="link_clicks", scope="organisation", name=""),
        KPIFactory(
            goal=goal, metric="link_clicks", scope="account", account=clicks["account"], name=""
        ),
        KPIFactory(
            goal=sales_goal,
            metric="link_clicks",
            scope="campaign",
            campaign=clicks["campaign"],
            name="",
        ),
    ]
    department, organisation, account, campaign = kpi_progress_many(kpis, today=TODAY)

    assert department.actual == _raw_clicks(link__post__department=marketing) == 4
    assert organisation.actual == _raw_clicks() == 8
    assert account.actual == _raw_clicks(link__post__account=clicks["account"]) == 4
    assert campaign.actual == _raw_clicks(link__campaign=clicks["campaign"]) == 4
    assert department.source == Source.DATA
    assert department.as_of == TODAY


def test_a_page_of_kpis_is_measured_in_two_queries(clicks, marketing, django_assert_num_queries):
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    kpis = [
        KPIFactory(goal=goal, metric=metric, name="")
        for metric in ("link_clicks", "unique_clicks", "conversion_rate", "mentions") * 5
    ]
    with django_assert_num_queries(2):  # one measure.Table: since, then the days
        found = kpi_progress_many(kpis, today=TODAY)
    assert [p.actual for p in found[:2]] == [4, 4]
    assert found[3].actual is None  # no mention yet: no data, never 0
    assert found[3].rag == Rag.NO_DATA


def test_the_sparkline_is_the_running_total(clicks, marketing):
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    progress = kpi_progress(kpi=KPIFactory(goal=goal, metric="link_clicks", name=""), today=TODAY)
    by_day = dict(progress.points)
    assert by_day[START] == 1
    assert by_day[dt.date(2026, 11, 7)] == 3
    assert by_day[TODAY] == 4
    assert progress.sparkline.startswith("<svg")


def test_inbox_metrics_are_measured_and_say_no_data_yet_before_any_answer(marketing):
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    progress = kpi_progress(kpi=KPIFactory(goal=goal, metric="replies", name=""), today=TODAY)
    assert (progress.actual, progress.rag, progress.source) == (None, Rag.NO_DATA, Source.DATA)


def test_sales_metrics_are_measured_and_say_no_data_yet_before_any_prospect(marketing):
    """Leads and the other sales figures come from the rollup (tests/metrics/
    test_rollups_sales.py); with no prospect counted yet, still "no data yet", not 0."""
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    progress = kpi_progress(kpi=KPIFactory(goal=goal, metric="leads", name=""), today=TODAY)
    assert (progress.actual, progress.rag, progress.source) == (None, Rag.NO_DATA, Source.DATA)


# --- the one rule ---------------------------------------------------------------------

PERIOD_START = dt.date(2026, 1, 1)
PERIOD_END = PERIOD_START + dt.timedelta(days=99)  # 100 days
HALFWAY = PERIOD_START + dt.timedelta(days=50)  # 50 days over, the 51st under way


def _typed(direction: str, value: str, **kwargs) -> KPI:
    goal = GoalFactory(period_start=PERIOD_START, period_end=PERIOD_END)
    kpi = KPIFactory(goal=goal, direction=direction, target=Decimal(1000), **kwargs)
    MeasurementFactory(kpi=kpi, value=Decimal(value), measured_on=HALFWAY)
    return kpi


@pytest.mark.parametrize(
    ("direction", "value", "rag"),
    [
        # Reach: half the period is over, so 500 is expected by now.
        ("reach", "495", Rag.GREEN),  # 99 %
        ("reach", "494", Rag.AMBER),
        ("reach", "405", Rag.AMBER),  # 81 %
        ("reach", "404", Rag.RED),
        # Stay above: compared as it is.
        ("above", "990", Rag.GREEN),
        ("above", "989", Rag.AMBER),
        ("above", "810", Rag.AMBER),
        ("above", "809", Rag.RED),
        # Stay below: the target is 99 % of 1010.1 and 81 % of 1234.6.
        ("below", "1010", Rag.GREEN),
        ("below", "1011", Rag.AMBER),
        ("below", "1234", Rag.AMBER),
        ("below", "1235", Rag.RED),
        ("below", "0", Rag.GREEN),
    ],
)
def test_rag_boundaries(direction, value, rag):
    progress = kpi_progress(kpi=_typed(direction, value), today=HALFWAY)
    assert progress.rag == rag, progress.rag_rule


@pytest.mark.parametrize(
    ("value", "rag"), [("450", Rag.GREEN), ("449", Rag.AMBER), ("250", Rag.AMBER), ("249", Rag.RED)]
)
def test_thresholds_are_set_per_kpi(value, rag):
    kpi = _typed("reach", value, green_from=90, amber_from=50)
    progress = kpi_progress(kpi=kpi, today=HALFWAY)
    assert progress.rag == rag
    assert "90 %" in progress.rag_rule and "50 %" in progress.rag_rule


def test_reach_shows_expected_projected_and_needed():
    progress = kpi_progress(kpi=_typed("reach", "400"), today=HALFWAY)
    assert progress.expected == 500
    assert progress.days_gone == 50
    assert progress.percent_of_target == 40
    assert progress.projected == 800  # 400 in 50 days, carried to 100
    assert progress.needed_per_day == 12  # 600 missing over 50 days left
    assert "500 by now" in progress.rag_rule


def test_a_level_projects_its_line_and_says_what_each_day_needs():
    kpi = _typed("above", "800", unit="count")
    MeasurementFactory(kpi=kpi, value=Decimal(700), measured_on=PERIOD_START + dt.timedelta(10))
    progress = kpi_progress(kpi=kpi, today=HALFWAY)
    assert progress.projected == Decimal(800) + Decimal(100) / 40 * 49
    assert progress.needed_per_day == 4  # 200 to go over 50 days


def test_no_data_is_grey_and_the_first_day_expects_nothing():
    goal = GoalFactory(period_start=PERIOD_START, period_end=PERIOD_END)
    empty = KPIFactory(goal=goal)
    assert kpi_progress(kpi=empty, today=HALFWAY).rag == Rag.NO_DATA
    MeasurementFactory(kpi=empty, value=Decimal(0), measured_on=PERIOD_START)
    first_day = kpi_progress(kpi=empty, today=PERIOD_START)
    assert (first_day.actual, first_day.expected, first_day.rag) == (0, 0, Rag.GREEN)


# --- what a KPI may be ----------------------------------------------------------------


def test_computed_metrics_take_no_measurement(owner, marketing):
    goal = GoalFactory(department=marketing)
    kpi = KPIFactory(goal=goal, metric="link_clicks", name="")
    with pytest.raises(ValidationError) as caught:
        services.measurement_create(
            actor=owner, kpi=kpi, value=Decimal(10), measured_on=dt.date.today()
        )
    assert "value" in caught.value.message_dict
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post(
        "/api/v1/measurements/",
        {"kpi": kpi.pk, "value": "10", "measured_on": dt.date.today().isoformat()},
    )
    assert response.status_code == 400
    assert "value" in response.json()
    assert not Measurement.objects.exists()


def test_the_kpi_page_offers_no_measurement_form_for_a_computed_metric(client, owner, marketing):
    kpi = KPIFactory(goal=GoalFactory(department=marketing), metric="link_clicks", name="")
    client.force_login(owner)
    page = client.get(kpi.get_absolute_url())
    assert page.status_code == 200
    assert b"Record a measurement" not in page.content
    response = client.post(
        f"/kpis/{kpi.pk}/measurements/", {"measured_on": "2026-11-20", "value": "5"}
    )
    assert response.status_code == 422
    assert b"takes no value typed in by hand" in response.content


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"metric": "followers", "scope": "department"}, "scope"),
        ({"metric": "link_clicks", "scope": "account"}, "account"),
        ({"metric": "link_clicks", "scope": "campaign"}, "campaign"),
        ({"metric": "followers", "scope": "organisation", "direction": "reach"}, "direction"),
        ({"metric": "link_clicks", "green_from": 80, "amber_from": 80}, "amber_from"),
        ({"metric": "link_clicks", "green_from": 0}, "green_from"),
    ],
)
def test_scope_direction_and_thresholds_are_validated(owner, marketing, fields, field):
    goal = GoalFactory(department=marketing)
    with pytest.raises(ValidationError) as caught:
        services.kpi_create(actor=owner, goal=goal, target=Decimal(100), **fields)
    assert field in caught.value.message_dict


def test_a_campaign_kpi_counts_one_of_its_departments_campaigns(owner, marketing, sales):
    goal = GoalFactory(department=marketing)
    theirs = CampaignFactory(department=sales)
    with pytest.raises(ValidationError) as caught:
        services.kpi_create(
            actor=owner,
            goal=goal,
            metric="link_clicks",
            target=Decimal(100),
            scope="campaign",
            campaign=theirs,
        )
    assert "campaign" in caught.value.message_dict
    ours = CampaignFactory(department=marketing)
    kpi = services.kpi_create(
        actor=owner,
        goal=goal,
        metric="link_clicks",
        target=Decimal(100),
        scope="campaign",
        campaign=ours,
    )
    assert (kpi.scope, kpi.campaign, kpi.direction) == ("campaign", ours, "reach")


def test_followers_default_to_the_organisation(owner, marketing):
    goal = GoalFactory(department=marketing)
    kpi = services.kpi_create(actor=owner, goal=goal, metric="followers", target=Decimal(10))
    assert (kpi.scope, kpi.direction) == ("organisation", "above")


def test_a_deleted_campaign_leaves_its_kpi_without_data(owner, marketing):
    campaign = CampaignFactory(department=marketing)
    kpi = KPIFactory(
        goal=GoalFactory(department=marketing),
        metric="link_clicks",
        scope="campaign",
        campaign=campaign,
        name="",
    )
    campaign.delete()
    kpi.refresh_from_db()
    progress = kpi_progress(kpi=kpi, today=dt.date.today())
    assert progress.rag == Rag.NO_DATA
    assert "deleted" in progress.note


# --- the API --------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "code"), [("owner", 201), ("colleague", 403), ("admin_user", 201)])
def test_who_may_add_a_scoped_kpi(request, marketing, who, code):
    user = request.getfixturevalue(who)
    goal = GoalFactory(department=marketing)
    account = XAccountFactory()
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/kpis/",
        {
            "goal": goal.pk,
            "metric": "impressions",
            "target": "5000",
            "scope": "account",
            "account": account.pk,
            "green_from": 95,
            "amber_from": 70,
        },
    )
    assert response.status_code == code, response.json()
    if code == 201:
        body = response.json()
        assert (body["scope"], body["account"], body["green_from"]) == ("account", account.pk, 95)
        progress = body["progress"]
        assert {
            "actual",
            "expected",
            "projected",
            "needed_per_day",
            "rag",
            "rag_rule",
            "percent_of_target",
        } <= set(progress)
        assert progress["rag"] == "no_data"


def test_the_api_answers_bad_scopes_and_filters_with_400(owner, marketing):
    goal = GoalFactory(department=marketing)
    client = APIClient()
    client.force_authenticate(owner)
    bad = [
        {"scope": "galaxy"},
        {"scope": "account", "account": 999999},
        {"scope": "campaign"},
        {"green_from": "lots"},
        {"green_from": 50, "amber_from": 60},
    ]
    for extra in bad:
        response = client.post(
            "/api/v1/kpis/", {"goal": goal.pk, "metric": "link_clicks", "target": "5", **extra}
        )
        assert response.status_code == 400, extra
    for query in ("scope=galaxy", "direction=higher", "goal=abc"):
        assert client.get(f"/api/v1/kpis/?{query}").status_code == 400, query


def test_the_api_lists_kpis_with_progress_in_few_queries(
    clicks, owner, marketing, django_assert_max_num_queries
):
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    for _ in range(10):
        KPIFactory(goal=goal, metric="link_clicks", name="")
        KPIFactory(goal=goal)
    client = APIClient()
    client.force_authenticate(owner)
    with django_assert_max_num_queries(15):
        response = client.get("/api/v1/kpis/?page_size=50")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


# --- pages ----------------------------------------------------------------------------


def test_the_department_page_with_20_kpis_stays_within_15_queries(
    client, clicks, owner, marketing, django_assert_max_num_queries
):
    for n in range(4):
        goal = GoalFactory(department=marketing, period_start=START, period_end=END)
        for metric in ("link_clicks", "mentions", "conversion_rate", "custom", "followers"):
            scope = "organisation" if metric == "followers" else "department"
            kpi = KPIFactory(goal=goal, metric=metric, scope=scope, direction="above")
            if metric == "custom":
                MeasurementFactory(kpi=kpi, measured_on=START + dt.timedelta(days=n))
    client.force_login(owner)
    client.get(marketing.get_absolute_url())  # the first request creates the organisation
    with django_assert_max_num_queries(15):
        page = client.get(marketing.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="kpi"') == 20
    assert "rag-" in body and 'title="' in body


def test_the_home_page_shows_the_rule_on_hover(client, owner, marketing):
    goal = GoalFactory(department=marketing)
    kpi = KPIFactory(goal=goal)
    MeasurementFactory(kpi=kpi, value=Decimal(5), measured_on=dt.date.today())
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "Green at 99 % or more of the target pro rata" in body
    assert "<svg" in body


# --- the registry agrees with the engine ----------------------------------------------


def test_declared_scopes_match_the_rollup(clicks):
    """Every (metric, dimension) the rollup holds is a scope the registry declares."""
    dims = {"org": "organisation", "department": "department", "account": "account"}
    dims["campaign"] = "campaign"
    for metric, dim in DailyRollup.objects.values_list("metric", "dim").distinct():
        if dim in dims:
            assert dims[dim] in metric_scopes(metric), (metric, dim)


def test_only_custom_metrics_are_typed_in():
    assert [key for key in METRICS if entered_by_hand(key)] == ["custom"]


def test_the_data_migration_maps_higher_and_lower(marketing):
    migration = import_module("departments.migrations.0006_kpi_directions_from_higher_lower")
    goal = GoalFactory(department=marketing)
    made = {
        key: KPIFactory(goal=goal, metric=metric, direction=old, unit=unit)
        for key, metric, old, unit in [
            ("clicks", "link_clicks", "higher", "count"),
            ("followers", "followers", "higher", "count"),
            ("rate", "conversion_rate", "higher", "percent"),
            ("hours", "hours_spent", "lower", "hours"),
            ("custom_pct", "custom", "higher", "percent"),
        ]
    }
    migration.forwards(apps, None)
    after = {key: KPI.objects.get(pk=kpi.pk) for key, kpi in made.items()}
    assert {k: v.direction for k, v in after.items()} == {
        "clicks": "reach",
        "followers": "above",
        "rate": "above",
        "hours": "below",
        "custom_pct": "above",
    }
    assert after["followers"].scope == "organisation"


def test_a_computed_kpis_page_charts_its_running_actual(client, clicks, owner, marketing):
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    kpi = KPIFactory(goal=goal, metric="link_clicks", name="")
    client.force_login(owner)
    body = client.get(kpi.get_absolute_url()).content.decode()
    assert "kpi-chart-data" in body
    assert "measured from SocialOps&#x27; data" in body or "measured from SocialOps' data" in body
    assert "Expected by now" in body and "Needed per day left" in body
    assert "Record a measurement" not in body


def test_the_kpi_form_offers_only_the_departments_campaigns(client, owner, marketing, sales):
    goal = GoalFactory(department=marketing)
    ours, theirs = CampaignFactory(department=marketing), CampaignFactory(department=sales)
    client.force_login(owner)
    page = client.get(f"/goals/{goal.pk}/kpis/new/").content.decode()
    assert ours.name in page and theirs.name not in page
    response = client.post(
        f"/goals/{goal.pk}/kpis/new/",
        {
            "metric": "link_clicks",
            "target": "100",
            "cadence": "weekly",
            "scope": "campaign",
            "campaign": theirs.pk,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        f"/goals/{goal.pk}/kpis/new/",
        {
            "metric": "link_clicks",
            "target": "100",
            "cadence": "weekly",
            "scope": "campaign",
            "campaign": ours.pk,
        },
    )
    assert response.status_code == 302
    kpi = KPI.objects.get(goal=goal)
    assert (kpi.campaign, kpi.green_from, kpi.amber_from, kpi.direction) == (ours, 99, 81, "reach")


def test_a_conversion_kpi_links_to_exactly_the_rows_it_counts(client, org, owner, marketing):
    campaign = CampaignFactory(department=marketing)
    moments = [
        dt.datetime.combine(dt.date(2026, 10, 31), dt.time(23, 30), tzinfo=ZONE),  # before
        dt.datetime.combine(START, dt.time(0, 5), tzinfo=ZONE),
        dt.datetime.combine(TODAY, dt.time(23, 30), tzinfo=ZONE),  # tomorrow in UTC
    ]
    for n, moment in enumerate(moments):
        Conversion.objects.create(
            kind="purchase",
            value=Decimal("10"),
            currency="EUR",
            occurred_at=moment,
            campaign=campaign,
            external_id=f"order-{n}",
        )
    rebuild(since=dt.date(2026, 10, 25))
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    kpi = KPIFactory(goal=goal, metric="conversions", scope="campaign", campaign=campaign, name="")
    # Seen after the period ended: the whole period counts.
    assert kpi_progress(kpi=kpi, today=END + dt.timedelta(days=3)).actual == 2

    client.force_login(owner)
    page = client.get(kpi.get_absolute_url()).content.decode()
    url = html.unescape(re.search(r'href="([^"]+)">The rows behind it', page).group(1))
    assert f"campaign={campaign.pk}" in url
    listed = client.get(url)
    assert listed.status_code == 200
    assert len(listed.context["rows"]) == 2


def _rows_behind(client, kpi) -> str | None:
    page = client.get(kpi.get_absolute_url()).content.decode()
    found = re.search(r'href="([^"]+)">The rows behind it', page)
    return html.unescape(found.group(1)) if found else None


def test_a_clicks_kpi_links_to_exactly_the_clicks_it_counts(
    client, clicks, owner, marketing, sales
):
    """From a KPI to its clicks, in each scope a list can filter by: as many rows as the
    actual says (bots and the days outside the period left out)."""
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    sales_goal = GoalFactory(department=sales, period_start=START, period_end=END)
    kpis = [
        KPIFactory(goal=goal, metric="link_clicks", scope="department", name=""),
        KPIFactory(goal=goal, metric="link_clicks", scope="organisation", name=""),
        KPIFactory(
            goal=sales_goal,
            metric="link_clicks",
            scope="campaign",
            campaign=clicks["campaign"],
            name="",
        ),
    ]
    client.force_login(owner)
    for kpi in kpis:
        # Seen after the period ended: the whole period counts, on the page and the list.
        actual = kpi_progress(kpi=kpi, today=dt.date.today()).actual
        url = _rows_behind(client, kpi)
        assert url is not None and url.startswith("/links/clicks/?"), kpi.scope
        listed = client.get(url)
        assert listed.status_code == 200
        assert listed.context["rows"].count() == actual > 0, (kpi.scope, url)
    assert "department=marketing" in _rows_behind(client, kpis[0])
    assert f"campaign={clicks['campaign'].pk}" in _rows_behind(client, kpis[2])
    # No list filters by the publishing account: that KPI keeps its series instead.
    account_kpi = KPIFactory(
        goal=goal, metric="link_clicks", scope="account", account=clicks["account"], name=""
    )
    assert _rows_behind(client, account_kpi) is None


def test_a_mentions_kpi_links_to_exactly_the_mentions_it_counts(
    client, org, owner, marketing, sales
):
    account = XAccountFactory()
    source = SourceFactory(account=account, department=marketing)
    inside = dt.datetime.combine(dt.date(2026, 11, 10), dt.time(9), tzinfo=ZONE)
    before = dt.datetime.combine(dt.date(2026, 10, 31), dt.time(23, 30), tzinfo=ZONE)
    for n, (moment, department) in enumerate(
        [(inside, marketing), (inside, marketing), (inside, sales), (before, marketing)]
    ):
        mention = TweetFactory(created_at=moment, text=f"mention {n}")
        SourceTweetFactory(source=source, tweet=mention)
        InboxItem.objects.create(
            tweet=mention, account=account, department=department, received_at=moment
        )
    rebuild(since=dt.date(2026, 10, 25))
    goal = GoalFactory(department=marketing, period_start=START, period_end=END)
    department_kpi = KPIFactory(goal=goal, metric="mentions", scope="department", name="")
    organisation_kpi = KPIFactory(goal=goal, metric="mentions", scope="organisation", name="")
    client.force_login(owner)
    for kpi, expected in ((department_kpi, 2), (organisation_kpi, 3)):
        assert kpi_progress(kpi=kpi, today=dt.date.today()).actual == expected
        listed = client.get(_rows_behind(client, kpi))
        assert listed.status_code == 200
        assert len(listed.context["posts"]) == expected, kpi.scope
