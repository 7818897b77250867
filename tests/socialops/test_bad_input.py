"""No input makes a 500: the seven causes found when the product was attacked (issue 9),
each through the page or API call that raised, and a sweep of every page and API list
with the same kinds of bad query values."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from listening.models import Source
from socialops import params
from socialops.parsers import MAX_JSON_DEPTH
from tests.factories import SourceFactory, XAccountFactory

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


@pytest.fixture
def far_east(organisation):
    """The organisation 14 hours east of UTC: the zone where the last moments of year
    9999 overflowed first."""
    organisation.time_zone = "Pacific/Kiritimati"
    organisation.save()
    return organisation


# --- 1. A huge source interval -----------------------------------------------------------


@pytest.fixture
def account(owner):
    return XAccountFactory()


@pytest.mark.parametrize("interval", [10**20, 2**63, 604_801, 14])
def test_a_huge_or_tiny_interval_is_a_field_error_on_create(owner, account, interval):
    response = api_client(owner).post(
        "/api/v1/sources/",
        {"name": "Mentions", "kind": "mentions", "account": account.pk, "interval": interval},
        format="json",
    )

    assert response.status_code == 400
    assert "interval" in response.json()
    assert not Source.objects.exists()


def test_a_huge_interval_is_a_field_error_on_update(owner, account):
    source = SourceFactory(account=account, owner=owner)

    response = api_client(owner).patch(
        f"/api/v1/sources/{source.pk}/", {"interval": 10**20}, format="json"
    )

    assert response.status_code == 400
    assert "interval" in response.json()
    source.refresh_from_db()
    assert source.interval == dt.timedelta(minutes=5)


def test_a_week_is_the_longest_interval(owner, account):
    response = api_client(owner).post(
        "/api/v1/sources/",
        {"name": "Mentions", "kind": "mentions", "account": account.pk, "interval": 604_800},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["interval"] == 604_800


@pytest.mark.parametrize("interval", ["1e300", "99999999999", "Infinity", "NaN", "-1"])
def test_a_huge_interval_on_the_source_page_is_a_field_error(owner, account, interval):
    response = page_client(owner).post(
        "/listening/sources/new/",
        {"name": "Mentions", "kind": "mentions", "account": account.pk, "interval": interval},
    )

    assert response.status_code in {200, 422}
    assert response.context["form"].errors["interval"]
    assert not Source.objects.exists()


# --- 2. Deeply nested JSON -------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/sources/", "/api/v1/goals/", "/api/v1/conversions/"])
def test_deeply_nested_json_is_a_400(owner, path, depth):
    body = "[" * depth + "]" * depth

    response = api_client(owner).generic("POST", path, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_json_nested_as_deep_as_allowed_is_parsed(owner):
    body = json.dumps({"name": "x", "kind": "mentions", "query": nested(MAX_JSON_DEPTH - 1)})

    response = api_client(owner).generic(
        "POST", "/api/v1/sources/", body, content_type="application/json"
    )

    # Parsed, then refused by the serializer for what it is: not a string.
    assert response.status_code == 400
    assert "query" in response.json()


def nested(depth: int):
    value: object = []
    for _ in range(depth - 1):
        value = [value]
    return value


# --- 3. Extreme dates and weeks on pages ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/calendar/?week=9999-12-31",
        "/calendar/?week=0001-01-01",
        "/calendar/week/?week=9999-12-31",
        "/calendar/month/?month=0001-01",
        "/calendar/month/?month=9999-12",
        "/calendar/month/?month=2026-13",
        "/calendar/posts/new/?scheduled_at=9999-12-31T23:59:59Z",
        "/calendar/posts/new/?scheduled_at=0001-01-01T00:00:00Z",
        "/time/?week=9999-W52",
        "/time/?week=0001-W01",
        "/time/?week=2026-W99",
    ],
)
def test_extreme_dates_on_pages_are_clamped_or_ignored(owner, far_east, url):
    response = page_client(owner).get(url)

    assert response.status_code == 200


def test_a_week_past_the_range_shows_the_last_week_of_it(owner, far_east):
    response = page_client(owner).get("/calendar/?week=9999-12-31")

    assert response.context["last"] >= params.LATEST >= response.context["first"]


def test_a_month_before_the_range_shows_its_first_month(owner, far_east):
    response = page_client(owner).get("/calendar/month/?month=0001-01")

    assert response.context["month_first"] == params.EARLIEST


def test_a_prefilled_moment_out_of_range_is_not_prefilled(owner, far_east):
    response = page_client(owner).get("/calendar/posts/new/?scheduled_at=9999-12-31T23:59:59Z")

    assert "scheduled_at" not in response.context["form"].initial


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"])
def test_an_extreme_moment_on_the_api_is_a_field_error(owner, marketing, account, moment):
    response = api_client(owner).post(
        "/api/v1/scheduled-posts/",
        {"department": marketing.slug, "account": account.pk, "text": "Hi", "scheduled_at": moment},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["scheduled_at"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_an_extreme_date_on_the_api_is_a_field_error(owner, marketing, day):
    response = api_client(owner).post(
        "/api/v1/goals/",
        {
            "department": marketing.slug,
            "objective": "brand",
            "title": "Reach",
            "period_start": "2026-01-01",
            "period_end": day,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["period_end"] == [params.RANGE_MESSAGE]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/scheduled-posts/?scheduled_at_after=0392-10-29T21:06:43%2B21:30",
        "/api/v1/scheduled-posts/?scheduled_at_before=0001-01-01T00:00:00Z",
        "/api/v1/clicks/?since=9999-12-31T23:59:59-23:00",
        "/api/v1/tweets/?created_after=0001-01-01",
        "/api/v1/conversions/?occurred_before=9999-12-31",
        "/api/v1/campaigns/?active_on=0001-01-01",
        "/api/v1/time-entries/?day_after=9999-12-31",
        "/api/v1/measurements/?measured_on_before=0001-01-01",
    ],
)
def test_an_extreme_date_in_a_filter_is_a_400(admin_user, far_east, url):
    response = api_client(admin_user).get(url)

    assert response.status_code == 400
    assert params.RANGE_MESSAGE in str(response.json())


def test_a_far_offset_in_a_filter_is_compared_in_utc(admin_user, far_east):
    # PostgreSQL takes offsets up to 15:59, Python up to 23:59 (found by schemathesis).
    response = api_client(admin_user).get(
        "/api/v1/scheduled-posts/?scheduled_at_after=2026-10-29T21:06:43%2B21:30"
    )

    assert response.status_code == 200


# --- 4. A NUL byte in a path or query -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/l/%00",
        "/l/abc%00def",
        "/calendar/feed/%00.ics",
        "/calendar/?department=%00",
        "/listening/?department=%00",
        "/api/v1/goals/?department=%00",
        "/api/v1/sources/?kind=mentions%00",
    ],
)
def test_a_nul_byte_in_the_address_is_a_400(owner, url):
    response = page_client(owner).get(url)

    assert response.status_code == 400


def test_the_public_addresses_refuse_nul_without_signing_in():
    client = Client(raise_request_exception=False)

    assert client.get("/l/%00").status_code == 400
    assert client.get("/calendar/feed/%00.ics").status_code == 400


# --- 5. A non-integer id in a query ---------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "99999999999999999999", "٣"])
def test_a_bad_account_in_the_list_picker_asks_for_the_account(owner, value):
    response = page_client(owner).get(f"/listening/sources/lists/?account={value}")

    assert response.status_code == 200
    assert response.context["error"] == "Choose the account first."


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-5"])
def test_a_bad_id_in_the_stream_is_ignored(owner, value):
    response = page_client(owner).get(f"/listening/?before={value}&account={value}")

    assert response.status_code == 200


# --- The sweep: every page and API list, every kind of bad query value ------------------

BAD_VALUES = [
    "abc",
    "-1",
    "99999999999999999999",
    "9999-12-31",
    "0001-01",
    "9999-12-31T23:59:59Z",
    "9999-W52",
    "x" * 3000,
]

# Every query parameter a page or list reads (filters, navigation, prefills).
PARAM_NAMES = [
    "account",
    "after",
    "before",
    "campaign",
    "category",
    "coupon",
    "created_after",
    "created_before",
    "day",
    "day_after",
    "day_before",
    "department",
    "goal",
    "kind",
    "link",
    "measured_on_after",
    "measured_on_before",
    "metric",
    "month",
    "objective",
    "offer",
    "owner",
    "page",
    "page_size",
    "period",
    "q",
    "scheduled_after",
    "scheduled_at",
    "scheduled_before",
    "slot",
    "source",
    "status",
    "user",
    "week",
    "cursor",
    "occurred_after",
    "occurred_before",
    "clicked_after",
    "clicked_before",
    "valid_on",
    "search",
    "ordering",
    "author",
    "lang",
    "inbox",
    "activity",
    "kpi",
]


def get_pages() -> list[str]:
    """Every address without a parameter in its path, pages and API lists alike."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            # The API router's routes are regular expressions (^tweets/$).
            route = str(pattern.pattern).removeprefix("^").removesuffix("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                full = prefix + route
                if "<" in full or "(?P" in full or full.startswith("admin/"):
                    continue
                found.append("/" + full.replace("\\", ""))

    walk(get_resolver().url_patterns)
    # Sign-in and the probe (its 503 names what is down) are not pages with parameters.
    skip = ("accounts/", "healthz", "api/v1/schema", "api/v1/docs")
    return sorted({page for page in found if not page.lstrip("/").startswith(skip)})


def test_the_sweep_finds_the_pages():
    pages = get_pages()
    assert {"/calendar/", "/time/", "/listening/", "/api/v1/tweets/"} <= set(pages)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_no_bad_query_value_makes_a_500(admin_user, far_east, value):
    # An admin: every page lets them in and every filter offers them every choice.
    client = page_client(admin_user)
    query = "&".join(f"{name}={value}" for name in PARAM_NAMES)

    failures = [
        f"{page}: {response.status_code}"
        for page in get_pages()
        if (response := client.get(f"{page}?{query}")).status_code >= 500
    ]

    assert not failures, failures


# --- The schema says what validation accepts --------------------------------------------


@pytest.fixture
def components(owner):
    client = api_client(owner)
    return client.get("/api/v1/schema/?format=json").json()["components"]["schemas"]


def test_decimals_in_the_schema_need_a_digit_and_no_sign_where_none_is_allowed(components):
    assert components["MeasurementCreateRequest"]["properties"]["value"]["pattern"] == (
        r"^-?\d{1,14}(?:\.\d{1,4})?$"
    )
    conversion_value = components["ConversionCreateRequest"]["properties"]["value"]
    assert not conversion_value["pattern"].startswith("^-")


def test_limits_in_the_schema_are_those_validation_keeps(components):
    interval = components["SourceCreateRequest"]["properties"]["interval"]
    assert (interval["minimum"], interval["maximum"]) == (15, 604_800)
    minutes = components["TimeEntryInputRequest"]["properties"]["minutes"]
    assert (minutes["minimum"], minutes["maximum"]) == (1, 1440)
    day = components["TimeEntryInputRequest"]["properties"]["day"]
    assert day["format"] == "date" and day["pattern"].startswith("^(19")


def test_patterns_and_enums_in_the_schema_are_those_validation_keeps(components):
    def prop(component, name):
        return components[component]["properties"][name]

    assert prop("LinkCreateRequest", "destination")["pattern"].startswith("^https?://")
    assert prop("UtmTagCreateRequest", "value")["pattern"] == r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
    # A field that may be blank: "" or the pattern, exactly one of them.
    (pattern, blank) = prop("CampaignCreateRequest", "utm_campaign")["oneOf"]
    assert pattern["pattern"] == r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
    assert blank["maxLength"] == 0
    (pattern, blank) = prop("ConversionCreateRequest", "currency")["oneOf"]
    assert pattern["pattern"] == "^[A-Za-z]{3}$"
    assert prop("OfferInputRequest", "code")["pattern"] == r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    assert prop("ScheduledPostCreateRequest", "target_x_id")["pattern"] == r"^[1-9][0-9]{0,17}$"
    assert components["CampaignStatusEnum"]["enum"] == ["planned", "running", "finished"]
    # DRF reads "" as null in a field naming a row by its slug or username.
    assert prop("MembershipCreateRequest", "department")["minLength"] == 1
    assert prop("GoalCreateRequest", "owner")["minLength"] == 1


def test_request_bodies_are_documented_as_json(owner):
    paths = api_client(owner).get("/api/v1/schema/?format=json").json()["paths"]

    media_types = {
        media_type
        for operations in paths.values()
        for operation in operations.values()
        for media_type in operation.get("requestBody", {}).get("content", {})
    }

    assert media_types == {"application/json"}


def test_date_filters_in_the_schema_say_the_range(owner):
    paths = api_client(owner).get("/api/v1/schema/?format=json").json()["paths"]

    def parameter(path, name):
        (found,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == name]
        return found["schema"]

    assert parameter("/api/v1/clicks/", "since")["pattern"] == params.MOMENT_SCHEMA["pattern"]
    assert parameter("/api/v1/goals/", "period_after")["pattern"] == params.DAY_SCHEMA["pattern"]
