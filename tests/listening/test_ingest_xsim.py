"""Ingestion against the bundled X simulator: X's cursor rules over simulated time."""

from __future__ import annotations

import pytest
from django.utils import timezone

from listening.ingest import source_run
from listening.models import InboxItem, Source, SourceRun, Tweet, XAccount
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(brightline_account):
    return brightline_account


def _mentions(xsim) -> int:  # noqa: F811
    return xsim.state()["counts"]["mentions_of_brightline"]


def test_since_id_reads_each_mention_once_while_more_arrive(xsim, account):  # noqa: F811
    source = Source.objects.create(name="Mentions", kind="mentions", account=account)
    source_run(source_id=source.pk)
    xsim.config(mention_rate=3000)
    for _ in range(3):
        before = _mentions(xsim)
        xsim.advance(120)
        arrived = _mentions(xsim) - before
        run = source_run(source_id=source.pk)
        assert run.status == "ok"
        assert run.posts_read == run.posts_new == arrived  # read once, nothing missed
    assert InboxItem.objects.count() == Tweet.objects.count()


def test_mentions_beyond_xs_reach_are_filled_through_search(xsim, account):  # noqa: F811
    source = Source.objects.create(name="Mentions", kind="mentions", account=account)
    source_run(source_id=source.pk)
    stored = Tweet.objects.count()
    xsim.config(mention_rate=20_000)
    before = _mentions(xsim)
    xsim.advance(600)  # ~2,300 mentions: far more than the 800 the endpoint returns
    arrived = _mentions(xsim) - before
    assert arrived > 1000

    run = source_run(source_id=source.pk)

    assert run.status == "ok"
    assert Tweet.objects.count() - stored == arrived  # none missed
    source.refresh_from_db()
    assert source.gap_until_id is None and source.page_token == ""
    assert source.since_id == max(Tweet.objects.values_list("pk", flat=True))
    # The next run starts from the new since_id: nothing to read.
    assert source_run(source_id=source.pk).posts_read == 0


def test_rate_limit_from_x_reschedules(xsim, account):  # noqa: F811
    source = Source.objects.create(name="Mentions", kind="mentions", account=account)
    xsim.fail(429, path="/2/users/", reset_in=120)
    run = source_run(source_id=source.pk)
    assert run.status == "rate_limited"
    source.refresh_from_db()
    assert source.next_run_at > timezone.now()
    assert SourceRun.objects.get().status == "rate_limited"
    account.refresh_from_db()
    assert account.status == XAccount.Status.RATE_LIMITED


def test_own_posts_metrics_are_updated(xsim, account):  # noqa: F811
    source = Source.objects.create(name="Ours", kind="own_posts", account=account)
    source_run(source_id=source.pk)
    first = dict(Tweet.objects.values_list("pk", "impression_count"))
    assert first and all(v is not None for v in first.values())
    assert Tweet.objects.exclude(url_link_clicks=None).exists()  # user auth: private metrics
    xsim.advance(6 * 3600)
    source_run(source_id=source.pk)
    grown = sum(
        1
        for pk, value in Tweet.objects.values_list("pk", "impression_count")
        if pk in first and value > first[pk]
    )
    assert grown > 0


def test_search_and_private_list(xsim, account):  # noqa: F811
    search = Source.objects.create(
        name="Brand", kind="search", query="brightline -is:retweet", account=account
    )
    assert source_run(source_id=search.pk).posts_new > 0
    private = next(item for item in xsim.world()["lists"] if item["private"])
    listed = Source.objects.create(
        name="Prospects", kind="list", x_list_id=int(private["id"]), account=account
    )
    assert source_run(source_id=listed.pk).status == "ok"
    assert listed.source_tweets.exists()
