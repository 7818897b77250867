"""Plain helpers shared by the campaigns tests (no fixtures: those are in conftest.py):
times on the calendar, and the publishing tests' X accounts, due posts and what the
simulator received."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from campaigns.models import PostPart, ScheduledPost
from listening.models import XAccount
from tests.factories import ScheduledPostFactory
from tests.xsim_server import XsimHandle


def in_days(days: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(second=0, microsecond=0)


def new_x_account(sim: XsimHandle) -> XAccount:
    username = f"pub{uuid.uuid4().hex[:10]}"
    user_id = sim.add_user(username)
    return XAccount.objects.create(
        username=username,
        x_user_id=int(user_id),
        access_token=sim.user_token(username),
        auth=XAccount.Auth.USER,
    )


def due_post(account: XAccount, department, owner, *, parts: tuple[str, ...] = (), **fields):
    """A scheduled post that was due a second ago; `parts` make it a thread."""
    fields.setdefault("scheduled_at", timezone.now() - dt.timedelta(seconds=1))
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
