"""GET /api/v1/metrics/series/: a metric's series from the rollup, agreeing with the raw
rows; every parameter checked (400 with field errors); and the registry's listing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from campaigns.links.models import Click, TrackedLink
from listening.models import FollowerCount
from metrics import facts
from metrics.rollups import rebuild
from socialops.tokens import api_token_create
from tests.factories import (
    CampaignFactory,
    ScheduledPostFactory,
    SourceFactory,
    TimeEntryFactory,
    XAccountFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/series/"
ZONE = ZoneInfo("America/New_York")
DAY = dt.date(2026, 11, 10)  # a Tuesday


@pytest.fixture
def org(organisation):
    organisation.time_zone = "America/New_York"
    organisation.save()
    return organisation


@pytest.fixture
def api(owner):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=owner).key}")
    return client


@pytest.fixture
def world(org, marketing, sales):
    """Marketing's post with a tracked link, clicked on DAY and two days later; a bare
    link clicked the day before."""
    account = XAccountFactory()
    campaign = CampaignFactory(department=sales, spend=Decimal("0"))
    post = ScheduledPostFactory(
        account=account, department=marketing, campaign=campaign, kind="reply"
    )
    link = TrackedLink.objects.create(
        destination="https://shop.example.com/", code="ser1", campaign=campaign, post=post
    )
    bare = TrackedLink.objects.create(destination="https://shop.example.com/", code="ser2")
    for day, n, target in [(DAY, 3, link), (DAY + dt.timedelta(days=2), 2, link)]:
        for i in range(n):
            _click(target, day, hour=9 + i)
    _click(bare, DAY - dt.timedelta(days=1), hour=23)  # 23:00 New York: the next UTC day
    _click(link, DAY, hour=10, bot=True)  # never counted
    rebuild()
    return {"account": account, "campaign": campaign, "link": link, "bare": bare}


def _click(link, day, *, hour, bot=False):
    Click.objects.create(
        link=link,
        clicked_at=dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE),
        visitor_key=uuid.uuid4().hex,
        is_bot=bot,
        click_id=uuid.uuid4().hex,
    )


def _raw_clicks(first, last, **where):
    start = dt.datetime.combine(first, dt.time.min, tzinfo=ZONE)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=ZONE)
    return Click.objects.filter(
        is_bot=False, clicked_at__gte=start, clicked_at__lt=end, **where
    ).count()


def _get(api, **query):
    return api.get(URL, query)


# --- The series ---------------------------------------------------------------------------


def test_a_departments_daily_clicks_agree_with_the_raw_rows(api, world, marketing):
    first, last = DAY - dt.timedelta(days=2), DAY + dt.timedelta(days=3)
    response = _get(
        api,
        metric="link_clicks",
        dimension="department",
        id=marketing.id,
        **{"from": first.isoformat()},
        to=last.isoformat(),
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert {k: body[k] for k in ("metric", "label", "unit", "measured", "dimension", "id")} == {
        "metric": "link_clicks",
        "label": "Link clicks",
        "unit": "count",
        "measured": True,
        "dimension": "department",
        "id": marketing.id,
    }
    assert (body["interval"], body["from"], body["to"]) == ("day", str(first), str(last))
    values = {p["start"]: p["value"] for p in body["points"]}
    assert all(p["start"] == p["end"] for p in body["points"])
    # Before Marketing's first click: no data yet, not 0. After it, a quiet day is 0.
    assert values == {
        str(DAY - dt.timedelta(days=2)): None,
        str(DAY - dt.timedelta(days=1)): None,
        str(DAY): "3.0000",
        str(DAY + dt.timedelta(days=1)): "0.0000",
        str(DAY + dt.timedelta(days=2)): "2.0000",
        str(DAY + dt.timedelta(days=3)): "0.0000",
    }
    for point in body["points"]:
        raw = _raw_clicks(
            dt.date.fromisoformat(point["start"]),
            dt.date.fromisoformat(point["end"]),
            link__post__department=marketing,
        )
        assert Decimal(point["value"] or 0) == raw


def test_weeks_and_months_are_clipped_to_the_range(api, world):
    response = _get(api, metric="link_clicks", interval="week", **{"from": "2026-11-05"}, to=DAY)

    body = response.json()
    assert [(p["start"], p["end"], p["value"]) for p in body["points"]] == [
        ("2026-11-05", "2026-11-08", None),  # Thursday to Sunday: before the first click
        ("2026-11-09", "2026-11-10", "4.0000"),  # the bare link's late click and DAY's 3
    ]
    assert _raw_clicks(dt.date(2026, 11, 9), DAY) == 4

    months = _get(api, metric="link_clicks", interval="month", **{"from": "2026-10-15"}, to=DAY)
    assert [(p["start"], p["end"], p["value"]) for p in months.json()["points"]] == [
        ("2026-10-15", "2026-10-31", None),
        ("2026-11-01", "2026-11-10", "4.0000"),
    ]


@pytest.mark.parametrize(
    ("dimension", "key", "expected"),
    [
        ("link", "bare", "1.0000"),
        ("campaign", "campaign", "5.0000"),
        ("account", "account", "5.0000"),
        ("activity", None, "5.0000"),
        ("org", None, "6.0000"),
    ],
)
def test_every_dimension_reads_its_own_rows(api, world, dimension, key, expected):
    ids = {"activity": facts.ACTIVITY_REPLY, "org": None}
    id_ = world[key].id if key else ids[dimension]
    query = {"metric": "link_clicks", "dimension": dimension, "interval": "month"}
    if id_ is not None:
        query["id"] = id_
    response = _get(api, **query, **{"from": "2026-11-01"}, to="2026-11-30")

    assert response.status_code == 200, response.json()
    assert response.json()["points"][0]["value"] == expected


def test_defaults_are_the_organisations_last_30_days(api, world):
    body = _get(api, metric="link_clicks").json()

    assert (body["dimension"], body["id"], body["interval"]) == ("org", 0, "day")
    assert len(body["points"]) == 30
    today = dt.datetime.now(ZONE).date()
    assert body["to"] == str(today)


def test_a_derived_metric_and_money_have_their_units(api, org, marketing, owner):
    org.hourly_staff_cost = Decimal("60")
    org.save()
    TimeEntryFactory(user=owner, department=marketing, day=DAY, minutes=90)
    rebuild()

    body = _get(api, metric="staff_cost", **{"from": str(DAY)}, to=str(DAY)).json()
    assert (body["unit"], body["points"][0]["value"]) == ("currency", "90.0000")
    rate = _get(api, metric="conversion_rate", **{"from": str(DAY)}, to=str(DAY)).json()
    assert (rate["unit"], rate["points"][0]["value"]) == ("percent", None)


def test_followers_are_a_level_carried_to_each_periods_end(api, org):
    account = XAccountFactory()
    for day, followers in [(DAY - dt.timedelta(days=3), 100), (DAY, 130)]:
        FollowerCount.objects.create(account=account, day=day, followers=followers)
    rebuild()
    query = {"metric": "followers", "dimension": "account", "id": account.id}

    days = _get(api, **query, **{"from": str(DAY - dt.timedelta(days=4))}, to=str(DAY))
    assert [p["value"] for p in days.json()["points"]] == [
        None,  # before the first snapshot
        "100.0000",
        "100.0000",  # no snapshot: the last one before
        "100.0000",
        "130.0000",
    ]
    weeks = _get(api, **query, interval="week", **{"from": "2026-11-02"}, to="2026-11-15")
    assert [p["value"] for p in weeks.json()["points"]] == ["100.0000", "130.0000"]


def test_a_measured_metric_without_rows_answers_no_data_yet(api, world):
    body = _get(
        api, metric="median_first_response_minutes", **{"from": str(DAY)}, to=str(DAY)
    ).json()

    assert body["measured"] is True
    assert [p["value"] for p in body["points"]] == [None]


def test_the_series_reads_the_rollup_in_a_handful_of_queries(api, world, marketing):
    query = {"metric": "conversion_rate", "dimension": "department", "id": marketing.id}
    with CaptureQueriesContext(connection) as queries:
        response = _get(api, **query, **{"from": "2024-01-01"}, to="2026-12-31")

    assert response.status_code == 200
    assert len(response.json()["points"]) == 1096
    # Token, organisation, the department's existence, the rollup's two reads.
    assert len(queries) <= 6, [q["sql"] for q in queries]


# --- Validation: 400 with field errors, never a 500 ---------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "metric"),
        ({"metric": "nope"}, "metric"),
        ({"metric": "link_clicks", "dimension": "planet", "id": "1"}, "dimension"),
        ({"metric": "link_clicks", "dimension": "department"}, "id"),
        ({"metric": "link_clicks", "dimension": "department", "id": "999999"}, "id"),
        ({"metric": "link_clicks", "dimension": "link", "id": "x"}, "id"),
        ({"metric": "link_clicks", "dimension": "link", "id": "-1"}, "id"),
        ({"metric": "link_clicks", "dimension": "link", "id": str(2**70)}, "id"),
        ({"metric": "link_clicks", "dimension": "activity", "id": "7"}, "id"),
        ({"metric": "link_clicks", "dimension": "org", "id": "3"}, "id"),
        ({"metric": "link_clicks", "from": "2026-11-10", "to": "2026-11-09"}, "to"),
        ({"metric": "link_clicks", "from": "2026-02-30"}, "from"),
        ({"metric": "link_clicks", "from": "0001-01-01"}, "from"),
        ({"metric": "link_clicks", "to": "9999-12-31"}, "to"),
        ({"metric": "link_clicks", "interval": "hour"}, "interval"),
        ({"metric": "link_clicks", "from": "2020-01-01", "to": "2026-01-01"}, "to"),
        (
            {"metric": "link_clicks", "interval": "week", "from": "2000-01-01", "to": "2026-01-01"},
            "to",
        ),
        ({"metric": "link_clicks", "intervall": "week"}, "intervall"),
    ],
)
def test_bad_parameters_are_field_errors(api, world, query, field):
    response = _get(api, **query)

    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_an_unknown_id_is_named_in_the_domains_words(api, world):
    response = _get(api, metric="link_clicks", dimension="account", id=424242)

    assert response.json() == {"id": ["No X account with the id 424242."]}


def test_a_repeated_parameter_is_a_field_error(api, world):
    response = api.get(f"{URL}?metric=link_clicks&metric=mentions")

    assert response.status_code == 400
    assert response.json() == {"metric": ["Give this parameter once."]}


def test_three_years_of_days_is_the_longest_daily_range(api, world):
    ok = _get(api, metric="link_clicks", **{"from": "2024-01-01"}, to="2026-12-31")
    assert ok.status_code == 200
    assert len(ok.json()["points"]) == 1096
    months = _get(
        api, metric="link_clicks", interval="month", **{"from": "2000-01-01"}, to="2026-12-31"
    )
    assert months.status_code == 200
    assert len(months.json()["points"]) == 27 * 12


def test_someone_elses_private_list_is_an_unknown_id(api, world, colleague, owner):
    theirs = SourceFactory(kind="list", x_list_id=77, is_private=True, owner=colleague)
    mine = SourceFactory(kind="list", x_list_id=78, is_private=True, owner=owner)
    query = {"metric": "x_api_spend", "dimension": "source"}

    refused = _get(api, **query, id=theirs.id)
    assert refused.status_code == 400
    assert refused.json() == {"id": [f"No source with the id {theirs.id}."]}
    assert _get(api, **query, id=mine.id).status_code == 200


def test_signing_in_is_required(world):
    assert APIClient().get(URL, {"metric": "link_clicks"}).status_code == 401


# --- The registry and the schema ----------------------------------------------------------


def test_the_registry_says_which_metrics_are_measured(api):
    listing = {m["key"]: m for m in api.get("/api/v1/metrics/").json()}

    assert listing["link_clicks"]["measured"] is True
    assert listing["roi"]["measured"] is True  # derived from measured sums
    assert listing["median_first_response_minutes"]["measured"] is True  # the inbox's rollup
    assert all(m["measured"] for m in listing.values() if m["source"] != "manual")
    assert {"key", "label", "unit", "source", "measured"} <= set(listing["link_clicks"])
    # The detail route still answers every key; "series" is the series endpoint.
    assert api.get("/api/v1/metrics/followers/").json()["measured"] is True
    assert api.get("/api/v1/metrics/series/").status_code == 400


def test_the_schema_documents_the_parameters_and_the_answer(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/metrics/series/"]["get"]

    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"metric", "dimension", "id", "from", "to", "interval"}
    assert parameters["metric"]["required"] is True
    assert "link_clicks" in parameters["metric"]["schema"]["enum"]
    assert parameters["from"]["schema"]["format"] == "date"
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/Series"}
    assert set(schema["components"]["schemas"]["Series"]["properties"]) == {
        "metric",
        "label",
        "unit",
        "measured",
        "dimension",
        "id",
        "interval",
        "from",
        "to",
        "points",
    }
    assert "400" in operation["responses"]
