"""Fixtures and helpers shared by the publishing tests (no tests here).

`pubsim` is a simulator of the test session's own whose clock runs with real time
(speed 1, starting now, no generated mentions): reconciliation compares the times X gives
posts with our claim times, as it would against X. Each test posts from an X account of
its own (`x_account`), so the simulator needs no reset between tests and what it received
is counted per account.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import PostPart, ScheduledPost
from listening.models import XAccount
from tests.factories import ScheduledPostFactory
from tests.xsim_server import XsimHandle, run_xsim


@pytest.fixture(scope="session")
def pubsim():
    with run_xsim(seed=4, speed=1, mention_rate=0, start=datetime.now(UTC)) as sim:
        yield sim


@pytest.fixture
def sim(pubsim: XsimHandle, settings) -> XsimHandle:
    """The publishing simulator, with no forced failure left from an earlier test, and the
    product pointed at it."""
    pubsim.control("DELETE", "fail")
    settings.X_API_BASE_URL = pubsim.url
    yield pubsim
    pubsim.control("DELETE", "fail")


def new_x_account(sim: XsimHandle) -> XAccount:
    username = f"pub{uuid.uuid4().hex[:10]}"
    user_id = sim.add_user(username)
    return XAccount.objects.create(
        username=username,
        x_user_id=int(user_id),
        access_token=sim.user_token(username),
        auth=XAccount.Auth.USER,
    )


@pytest.fixture
def x_account(sim, db) -> XAccount:
    return new_x_account(sim)


def due_post(account: XAccount, department, owner, *, parts: tuple[str, ...] = (), **fields):
    """A scheduled post that was due a second ago; `parts` make it a thread."""
    fields.setdefault("scheduled_at", timezone.now() - timedelta(seconds=1))
    fields.setdefault("status", ScheduledPost.Status.SCHEDULED)
    if parts:
        fields.setdefault("kind", ScheduledPost.Kind.THREAD)
    post = ScheduledPostFactory(account=account, department=department, owner=owner, **fields)
    for position, text in enumerate(parts, start=1):
        PostPart.objects.create(post=post, position=position, text=text)
    return post


def received(sim: XsimHandle, account: XAccount) -> list[dict]:
    """What the simulator received through POST /2/tweets from this account, oldest first."""
    return [p for p in sim.state()["posts"] if p["username"] == account.username]
