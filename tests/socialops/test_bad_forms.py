"""No form input makes a 500: every page that shows a form is sent it back with every field
holding the same bad value (a NUL, a number past any column, dates past Python's range,
an impossible amount). The answer is the form with its errors (200 or 422), a redirect or
a refusal, never a server error."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from socialops import params
from tests.factories import (
    CampaignFactory,
    GoalFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    OfferFactory,
    ScheduledPostFactory,
    SourceFactory,
    TimeEntryFactory,
    XAccountFactory,
)

BAD_VALUES = [
    "\x00",
    "a\x00b",
    "99999999999999999999",
    "-99999999999999999999",
    "1e400",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31 23:59",
    "0001-01-01T00:00",
    "NaN",
    "x" * 5000,
]

# Values for the parameters in a page's path: rows of the world below (ids from 1).
PATH_VALUES = {"int": "1", "slug": "marketing"}


@pytest.fixture
def world(django_db_reset_sequences, owner, admin_user, marketing, organisation):
    organisation.time_zone = "Pacific/Kiritimati"  # 14 hours east: the first to overflow
    organisation.save()
    account = XAccountFactory()
    SourceFactory(account=account, owner=owner, department=marketing)
    goal = GoalFactory(department=marketing)
    kpi = KPIFactory(goal=goal, metric="followers", target=Decimal("1000"))
    MeasurementFactory(kpi=kpi, value=Decimal("400"), measured_on=dt.date(2026, 11, 20))
    MembershipFactory(department=marketing, role="member")
    campaign = CampaignFactory(department=marketing)
    OfferFactory(campaign=campaign)
    ScheduledPostFactory(account=account, department=marketing, owner=admin_user)
    TimeEntryFactory(user=admin_user, department=marketing, campaign=campaign)
    return admin_user


def form_pages() -> list[str]:
    """Every page address, with the path parameters the world fills in."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                found.append(prefix + route)

    walk(get_resolver().url_patterns)
    pages = []
    for route in found:
        if route.startswith(("admin/", "api/", "^", "accounts/", "l/")) or "(?P" in route:
            continue
        kinds = re.findall(r"<(\w+):\w+>", route)
        if any(kind not in PATH_VALUES for kind in kinds):
            continue
        pages.append("/" + re.sub(r"<(\w+):\w+>", lambda m: PATH_VALUES[m[1]], route))
    return sorted(set(pages))


def field_names(response) -> list[str]:
    context = response.context
    if context is None:
        return []
    if hasattr(context, "flatten"):
        values = list(context.flatten().values())
    else:  # a ContextList: the contexts of every template rendered
        keys = context.keys()
        values = [context[key] for key in keys]
    names = set()
    for value in values:
        if isinstance(value, forms.BaseForm):
            names |= {value.add_prefix(name) for name in value.fields}
    return sorted(names)


@pytest.mark.parametrize(
    "value", BAD_VALUES, ids=lambda v: repr(v) if len(v) < 40 else f"{len(v)}-chars"
)
def test_no_bad_form_value_makes_a_500(world, value):
    client = Client(raise_request_exception=False)
    client.force_login(world)
    failures, forms_sent = [], 0

    for page in form_pages():
        names = field_names(client.get(page))
        if not names:
            continue
        forms_sent += 1
        response = client.post(page, dict.fromkeys(names, value))
        if response.status_code >= 500:
            failures.append(f"{page}: {response.status_code}")

    assert forms_sent > 15
    assert not failures, failures


# --- A date past the range is a field error, never a row every page then fails on -------


@pytest.fixture
def signed_in(owner, far_east_zone):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


@pytest.fixture
def far_east_zone(organisation):
    organisation.time_zone = "Pacific/Kiritimati"
    organisation.save()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "3000-01-01"])
def test_a_goal_ending_past_the_range_is_a_field_error(signed_in, marketing, day):
    from departments.models import Goal

    response = signed_in.post(
        f"/departments/{marketing.slug}/goals/new/",
        {
            "title": "Forever",
            "objective": "brand",
            "status": "active",
            "period_start": "2026-01-01",
            "period_end": day,
        },
    )

    assert response.status_code in {200, 422}
    assert response.context["form"].errors["period_end"] == [params.RANGE_MESSAGE]
    assert not Goal.objects.exists()


@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_post_scheduled_past_the_range_is_a_field_error(signed_in, owner, marketing, moment):
    from campaigns.models import ScheduledPost

    account = XAccountFactory()
    response = signed_in.post(
        "/calendar/posts/new/",
        {
            "department": marketing.pk,
            "account": account.pk,
            "kind": "post",
            "category": "tips",
            "text": "A tip worth sharing.",
            "scheduled_at": moment,
            "owner": owner.pk,
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors["scheduled_at"]
    assert not ScheduledPost.objects.exists()


def test_a_goal_id_past_a_bigint_is_a_field_error(signed_in, marketing):
    # SQLite raised OverflowError comparing it with the column.
    response = signed_in.post(
        "/campaigns/new/",
        {
            "name": "Spring",
            "department": marketing.pk,
            "goals": "99999999999999999999",
            "objective": "sales",
            "period_start": "2026-01-01",
            "period_end": "2026-02-01",
        },
    )

    assert response.status_code in {200, 422}
    assert response.context["form"].errors["goals"]
