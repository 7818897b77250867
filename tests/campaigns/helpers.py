"""Plain helpers shared by the campaigns tests (no fixtures: those are in conftest.py):
a person following a short link, an API client for a user, times on the calendar, and
the publishing tests' X accounts, due posts and reposts, and what the simulator received."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import PostPart, ScheduledPost
from listening.models import XAccount
from tests.factories import ScheduledPostFactory
from tests.xsim_server import XsimHandle

# A person's browser: the redirect counts its clicks (bots are stored but not counted).
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"


def click_through(client, link, n: int) -> int:
    """Follow the short link `n` times as a person would; the redirects served."""
    served = 0
    for _ in range(n):
        response = client.get(f"/l/{link.code}", headers={"user-agent": BROWSER})
        served += response.status_code == 302
    return served


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


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


def due_repost(sim: XsimHandle, account: XAccount, department, owner, **fields):
    """A due repost of a post the simulator has just received from someone else; returns
    the post and the reposted post's id."""
    target = sim.inject("Customers cut month-end close to 3 days", author="industry_voice")
    fields.setdefault("target_x_id", int(target))
    post = due_post(account, department, owner, kind=ScheduledPost.Kind.REPOST, text="", **fields)
    return post, target


def received(sim: XsimHandle, account: XAccount) -> list[dict]:
    """What the simulator received through POST /2/tweets from this account, oldest first."""
    return [p for p in sim.state()["posts"] if p["username"] == account.username]
