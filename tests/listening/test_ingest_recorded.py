"""Ingestion of real recorded pages, replayed on loopback: what lands in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listening import client as x
from listening.ingest import lease, source_claim, source_run, store_posts
from listening.models import InboxItem, Source, SourceRun, SourceTweet, Tweet, XAccount, XUser
from listening.services import sources_enqueue_due
from tests.factories import SourceFactory
from tests.recordings import Answer, load

pytestmark = pytest.mark.django_db


@pytest.fixture
def x_api(replay, settings):
    settings.X_API_BASE_URL = replay.url
    return replay


def _mentions_body():
    return load("test_client_get_users_mentions")[0]["response"]["json"]


def test_store_posts_is_idempotent_and_keeps_raw():
    page = x.parse_page(_mentions_body())
    now = timezone.now()
    first = store_posts(tweets=page.tweets, users=page.users, now=now)
    again = store_posts(tweets=page.tweets, users=page.users, now=now)
    assert len(first) == len(page.tweets) and again == set()
    assert Tweet.objects.count() == len(page.tweets)
    tweet = Tweet.objects.get(pk=page.tweets[0].id)
    assert tweet.raw == _mentions_body()["data"][0]


def test_metrics_are_updated_on_conflict():
    body = {"id": "10", "text": "hi", "author_id": "1", "public_metrics": {"like_count": 1}}
    store_posts(tweets=[x.parse_tweet(body)], users=[], now=timezone.now())
    body["public_metrics"]["like_count"] = 7
    store_posts(tweets=[x.parse_tweet(body)], users=[], now=timezone.now())
    assert Tweet.objects.get(pk=10).like_count == 7
    assert XUser.objects.filter(pk=1).exists()  # a stub author row to join on


def test_mentions_run_stores_once_routes_and_advances_cursor(x_api, marketing):
    body = _mentions_body()
    body["meta"].pop("next_token")  # one page
    x_api.add("GET", "/2/users/783214/mentions", Answer(200, body))
    source = SourceFactory(department=marketing)

    result = source_run(source_id=source.pk)

    assert result.status == "ok"
    assert Tweet.objects.count() == len(body["data"]) == result.posts_new
    assert SourceTweet.objects.filter(source=source).count() == len(body["data"])
    assert InboxItem.objects.filter(department=marketing).count() == len(body["data"])
    source.refresh_from_db()
    assert source.since_id == int(body["meta"]["newest_id"])
    assert source.lease_token == "" and source.last_result == "ok"
    run = SourceRun.objects.get()
    assert (run.pages, run.posts_read, run.posts_new) == (1, len(body["data"]), len(body["data"]))
    assert run.cost > 0

    # The next run asks from since_id; X has nothing newer.
    x_api.add("GET", "/2/users/783214/mentions", Answer(200, {"meta": {"result_count": 0}}))
    source_run(source_id=source.pk)
    assert f"since_id={body['meta']['newest_id']}" in x_api.requests[-1][1]
    assert Tweet.objects.count() == len(body["data"])
    assert InboxItem.objects.count() == len(body["data"])


def test_a_page_left_half_way_is_resumed_with_the_same_since_id(x_api):
    body = _mentions_body()
    second = {"meta": {"result_count": 0}}
    x_api.add(
        "GET",
        "/2/users/783214/mentions",
        Answer(200, body),
        Answer(503, {"title": "Service Unavailable"}),
        Answer(200, second),
    )
    source = SourceFactory(since_id=5)
    with pytest.raises(x.Transient):
        source_run(source_id=source.pk)
    source.refresh_from_db()
    # The first page is committed with its cursor; the run can resume from there.
    assert source.page_token == body["meta"]["next_token"]
    assert source.pending_since_id == int(body["meta"]["newest_id"])
    assert source.since_id == 5
    assert source.lease_token == ""  # released for the retry

    source_run(source_id=source.pk)
    resumed = x_api.requests[-1][1]
    assert "since_id=5" in resumed and f"pagination_token={body['meta']['next_token']}" in resumed
    source.refresh_from_db()
    assert source.since_id == int(body["meta"]["newest_id"]) and source.page_token == ""


def test_429_reschedules_at_reset_without_sleeping(x_api):
    reset = timezone.now() + dt.timedelta(minutes=4)
    x_api.add(
        "GET",
        "/2/users/783214/mentions",
        Answer(
            429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(int(reset.timestamp()))}
        ),
    )
    source = SourceFactory()
    result = source_run(source_id=source.pk)
    assert result.status == "rate_limited"
    source.refresh_from_db()
    assert abs((source.next_run_at - reset).total_seconds()) < 1
    assert source.account.status == XAccount.Status.RATE_LIMITED
    assert sources_enqueue_due() == []  # not due until the reset


def test_401_marks_the_account_for_reconnection(x_api):
    x_api.add("GET", "/2/users/783214/mentions", Answer(401, {"title": "Unauthorized"}))
    source = SourceFactory()
    assert source_run(source_id=source.pk).status == "auth"
    source.account.refresh_from_db()
    assert source.account.status == XAccount.Status.NEEDS_RECONNECTION
    assert sources_enqueue_due() == []


def test_one_run_at_a_time():
    source = SourceFactory()
    now = timezone.now()
    assert source_claim(source_id=source.pk, now=now)
    assert source_claim(source_id=source.pk, now=now) is None
    assert source_run(source_id=source.pk, now=now) is None
    # A holder that died loses the lease when it expires.
    assert source_claim(source_id=source.pk, now=now + lease() + dt.timedelta(seconds=1))


def test_enqueue_due_queues_each_source_once(django_capture_on_commit_callbacks):
    due = SourceFactory(next_run_at=timezone.now() - dt.timedelta(seconds=1))
    SourceFactory(next_run_at=timezone.now() + dt.timedelta(minutes=1))
    SourceFactory(enabled=False)
    with django_capture_on_commit_callbacks() as callbacks:
        assert sources_enqueue_due() == [due.pk]
        assert sources_enqueue_due() == []  # a second beat finds nothing due
    assert len(callbacks) == 1
    due.refresh_from_db()
    assert due.next_run_at > timezone.now()


def test_private_list_source_validation(owner):
    source = Source(name="Mine", kind="search", query="", account=SourceFactory().account)
    with pytest.raises(Exception) as exc:
        source.full_clean()
    assert "query" in str(exc.value)


def test_a_post_without_author_still_joins_its_author():
    store_posts(
        tweets=[x.parse_tweet({"id": "11", "text": "old payload"})], users=[], now=timezone.now()
    )
    assert Tweet.objects.select_related("author").get(pk=11).author.username == ""


def test_text_with_tabs_newlines_and_backslashes_round_trips():
    text = 'tab\there, new\nline, back\\slash, quote " and \\N'
    body = {"id": "12", "text": text, "author_id": "1", "lang": "en"}
    user = {"id": "1", "username": "odd\tname", "name": "A \\ B", "description": "x\ny"}
    store_posts(tweets=[x.parse_tweet(body)], users=[x.parse_user(user)], now=timezone.now())
    tweet = Tweet.objects.select_related("author").get(pk=12)
    assert tweet.text == text and tweet.raw == body
    assert (tweet.author.username, tweet.author.name, tweet.author.description) == (
        "odd\tname",
        "A \\ B",
        "x\ny",
    )
