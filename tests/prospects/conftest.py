"""Prospects' shared fixtures: the five users of the privacy matrix, our X account on the
simulator, and a rep's mirrored list."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from listening.models import XAccount
from prospects import services
from tests.factories import MembershipFactory, UserFactory
from tests.xsim_server import xsim, xsim_server  # noqa: F401


@pytest.fixture
def rep(sales):
    """A sales rep: owns the list."""
    return MembershipFactory(
        department=sales, role="member", user__username="sofia", user__first_name="Sofia"
    ).user


@pytest.fixture
def sales_colleague(sales):
    return MembershipFactory(department=sales, role="member", user__username="sam_colleague").user


@pytest.fixture
def sales_lead(sales):
    return MembershipFactory(department=sales, role="lead", user__username="sam").user


@pytest.fixture
def outsider(marketing):
    """A member of another department."""
    return MembershipFactory(department=marketing, role="member", user__username="marta").user


@pytest.fixture
def shared_with(db):
    """A person the list is shared with (in no department)."""
    return UserFactory(username="paula")


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def account(xsim, settings):  # noqa: F811
    settings.X_API_BASE_URL = xsim.url
    return XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )


@pytest.fixture
def x_list(xsim, account):  # noqa: F811
    """A new private X list of @brightline, empty."""
    answer = xsim.post(
        "/2/lists", {"name": "Sofia Q3", "private": True}, token=account.access_token
    )
    assert answer.status == 200, answer.text
    return int(answer.json["data"]["id"])


@pytest.fixture
def mirrored(rep, account, x_list):
    return services.prospect_list_create(
        actor=rep, name="Sofia's Q3 targets", account=account, x_list_id=x_list
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def x_members(xsim, list_id: int, token: str) -> list[int]:  # noqa: F811
    ids: list[int] = []
    params: dict = {"max_results": 100}
    while True:
        body = xsim.get(f"/2/lists/{list_id}/members", token=token, **params).json
        ids += [int(u["id"]) for u in body.get("data", [])]
        if not body.get("meta", {}).get("next_token"):
            return ids
        params["pagination_token"] = body["meta"]["next_token"]
