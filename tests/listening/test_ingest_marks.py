"""Ingestion marks what metrics count in each page's transaction: our own posts on the day
X says they were posted, mentions on the day they arrived, the follower count's day and
the run's X spend on the day it started; account and source changes mark what they move."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from listening import client as x
from listening import services
from listening.ingest import source_run
from listening.models import FollowerCount, InboxItem, Source, SourceRun, Tweet, XAccount
from metrics.measure import Scope, metric_value
from metrics.models import Dim
from metrics.rollups import organisation_today, recompute_marked
from socialops.marks import Family
from socialops.models import DirtyDay
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

EVER = dt.date(2000, 1, 1)


def marked(family: str) -> set[dt.date]:
    return set(DirtyDay.objects.filter(family=family).values_list("day", flat=True))


def utc_days(moments) -> set[dt.date]:
    return {m.astimezone(dt.UTC).date() for m in moments}


def value(metric: str, **scope) -> Decimal | None:
    return metric_value(
        metric,
        first=EVER,
        last=organisation_today() + dt.timedelta(days=2),
        **({"scope": Scope(*scope["scope"])} if scope else {}),
    )


def rolled_up_equals_raw() -> None:
    recompute_marked()
    assert not DirtyDay.objects.exists()
    call_command("metrics_verify", "--quiet")


def test_mentions_mark_the_days_they_arrived_and_the_runs_spend(xsim, brightline_account):
    source = Source.objects.create(name="Mentions", kind="mentions", account=brightline_account)
    xsim.config(mention_rate=3000)
    xsim.advance(120)
    assert source_run(source_id=source.pk).status == "ok"
    assert InboxItem.objects.exists()
    assert marked(Family.MENTIONS) == utc_days(
        InboxItem.objects.values_list("received_at", flat=True)
    )
    run = SourceRun.objects.get()
    assert run.cost > 0 and marked(Family.X_SPEND) == utc_days([run.started_at])

    rolled_up_equals_raw()
    assert value("mentions") == InboxItem.objects.count()
    assert value("x_api_spend") == run.cost


def test_own_posts_mark_their_days_again_when_their_metrics_grow(xsim, brightline_account):
    source = Source.objects.create(name="Ours", kind="own_posts", account=brightline_account)
    source_run(source_id=source.pk)
    ours = Tweet.objects.filter(author_id=brightline_account.x_user_id)
    assert ours.exists()
    assert marked(Family.POSTS) == utc_days(ours.values_list("created_at", flat=True))
    rolled_up_equals_raw()
    assert value("impressions") == ours.aggregate(n=Sum("impression_count"))["n"]

    xsim.advance(6 * 3600)
    source_run(source_id=source.pk)
    assert marked(Family.POSTS)
    rolled_up_equals_raw()
    assert value("impressions") == ours.aggregate(n=Sum("impression_count"))["n"]


def test_others_posts_mark_no_posts(xsim, brightline_account):
    source = Source.objects.create(
        name="Brand", kind="search", query="brightline -is:retweet", account=brightline_account
    )
    source_run(source_id=source.pk)
    others = Tweet.objects.exclude(author_id=brightline_account.x_user_id)
    assert others.exists()
    ours = Tweet.objects.filter(author_id=brightline_account.x_user_id)
    assert marked(Family.POSTS) == utc_days(ours.values_list("created_at", flat=True))


def test_the_follower_count_marks_its_day(xsim, brightline_account):
    source = Source.objects.create(name="Followers", kind="followers", account=brightline_account)
    source_run(source_id=source.pk)
    count = FollowerCount.objects.get()
    assert marked(Family.FOLLOWERS) == {count.day}
    rolled_up_equals_raw()
    assert value("followers") == count.followers


def test_a_source_moved_to_another_department_or_deleted_marks_its_spend(
    xsim, brightline_account, admin_user
):
    source = Source.objects.create(name="Mentions", kind="mentions", account=brightline_account)
    xsim.config(mention_rate=3000)
    xsim.advance(120)
    source_run(source_id=source.pk)
    rolled_up_equals_raw()
    cost = SourceRun.objects.get().cost
    support = DepartmentFactory(name="Support", kind="customer_service")

    services.source_update(actor=admin_user, source=source, department=support)
    assert marked(Family.X_SPEND)
    rolled_up_equals_raw()
    assert value("x_api_spend", scope=(Dim.DEPARTMENT, support.pk)) == cost

    services.source_delete(actor=admin_user, source=source)
    assert marked(Family.X_SPEND)
    rolled_up_equals_raw()
    assert not SourceRun.objects.exists()
    assert value("x_api_spend") in (None, 0)


def test_connecting_an_account_marks_the_posts_that_become_ours(
    xsim, brightline_account, admin_user
):
    source = Source.objects.create(
        name="Brand", kind="search", query="brightline -is:retweet", account=brightline_account
    )
    source_run(source_id=source.pk)
    author, created = (
        Tweet.objects.exclude(author_id=brightline_account.x_user_id)
        .values_list("author_id", "created_at")
        .first()
    )
    rolled_up_equals_raw()
    before = value("likes")

    services.account_connect(
        actor=admin_user,
        tokens=x.TokenSet(access_token="a", refresh_token="r", expires_at=None, scope="tweet.read"),
        me=x.UserRecord(id=author, username="another_brand", name="Another brand"),
    )
    assert XAccount.objects.filter(x_user_id=author).exists()
    assert created.astimezone(dt.UTC).date() in marked(Family.POSTS)
    rolled_up_equals_raw()
    theirs = Tweet.objects.filter(author_id=author).aggregate(n=Sum("like_count"))["n"] or 0
    assert (value("likes") or 0) == (before or 0) + theirs
