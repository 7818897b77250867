"""The bulk write path of ingestion: pages go to the database as X sent them (PostgreSQL:
COPY into staging tables and one upsert; SQLite: executemany), and what lands there is
exactly what the records say."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import DataError, transaction
from django.utils import timezone

from listening import client as x
from listening.ingest import _commit_page, _store, source_claim, store_posts
from listening.models import SourceRun, SourceTweet, Tweet, XUser
from tests.factories import SourceFactory
from tests.recordings import all_recordings

pytestmark = pytest.mark.django_db

TRICKY = {
    "id": "1900000000000000001",
    "text": 'tab\there, new\nline\r\n, back\\slash \\N, "quotes", ünï €, 🐦 @brightline',
    "author_id": "42",
    "created_at": "2026-11-02T10:11:12.000Z",
    "conversation_id": "1899999999999999999",
    "in_reply_to_user_id": "43",
    "lang": None,
    "referenced_tweets": [
        {"type": "retweeted", "id": "1800000000000000000"},
        {"type": "replied_to", "id": "1899999999999999998"},
    ],
    "entities": {"mentions": [{"username": "brightline"}, {}]},
    "public_metrics": {"like_count": 3, "retweet_count": 0, "reply_count": None},
    "organic_metrics": {"impression_count": 90, "url_link_clicks": 2},
    "non_public_metrics": {"engagements": 7, "impression_count": 91},
}
BARE = {"id": "1900000000000000002", "text": "an old payload: no author, no metrics"}
AUTHOR = {
    "id": "42",
    "username": "odd\tname",
    "name": "A \\ B",
    "description": "line\nbreak",
    "created_at": "2015-01-01T00:00:00.000Z",
    "verified": True,
    "public_metrics": {"followers_count": 10, "following_count": 0, "tweet_count": 5},
}
TWEET_COLUMNS = [
    f.name
    for f in dataclasses.fields(x.TweetRecord)
    if f.name not in {"author_id", "mentioned_usernames", "raw"}
]


def _page(tweets: list[dict], users: list[dict], token: str | None = "next") -> x.Page:
    return x.parse_page(
        {
            "data": tweets,
            "includes": {"users": users},
            "meta": {"result_count": len(tweets), "next_token": token},
        }
    )


@pytest.fixture
def run():
    source = SourceFactory(kind="search", query="brightline")
    token = source_claim(source_id=source.pk)
    record = SourceRun.objects.create(source=source, started_at=timezone.now())

    def commit(pages: list[x.Page], users_stored: dict | None = None, done=False) -> int:
        return _commit_page(
            source_id=source.pk,
            token=token,
            run_id=record.pk,
            pages=pages,
            first_page=False,
            done=done,
            users_stored=users_stored,
        )

    commit.source, commit.record = source, record
    return commit


def _assert_stored_as_parsed(payload: dict) -> None:
    record = x.parse_tweet(payload)
    tweet = Tweet.objects.get(pk=record.id)
    assert {c: getattr(tweet, c) for c in TWEET_COLUMNS} == {
        c: getattr(record, c) for c in TWEET_COLUMNS
    }
    assert tweet.author_id == (record.author_id or 0)
    assert tweet.raw == payload
    assert XUser.objects.filter(pk=tweet.author_id).exists()


def test_a_page_lands_exactly_as_parsed(run):
    assert run([_page([TRICKY, BARE], [AUTHOR])]) == 2
    for payload in (TRICKY, BARE):
        _assert_stored_as_parsed(payload)
    author = XUser.objects.get(pk=42)
    expected = x.parse_user(AUTHOR)
    assert (author.username, author.name, author.description) == (
        "odd\tname",
        "A \\ B",
        "line\nbreak",
    )
    assert (author.verified, author.followers_count, author.listed_count) == (True, 10, None)
    assert author.x_created_at == expected.created_at and author.raw == AUTHOR
    assert XUser.objects.get(pk=0).username == ""  # the stub for the post without author
    assert set(SourceTweet.objects.values_list("tweet_id", flat=True)) == {
        int(TRICKY["id"]),
        int(BARE["id"]),
    }


def test_store_posts_takes_records_to_the_same_rows():
    tweets = [x.parse_tweet(TRICKY), x.parse_tweet(BARE)]
    assert store_posts(tweets=tweets, users=[x.parse_user(AUTHOR)], now=timezone.now()) == {
        t.id for t in tweets
    }
    for payload in (TRICKY, BARE):
        _assert_stored_as_parsed(payload)


def test_posts_new_counts_first_stores_only_and_metrics_follow(run):
    def post(n: int, likes: int) -> dict:
        return {
            "id": str(n),
            "text": f"post {n}",
            "author_id": "42",
            "public_metrics": {"like_count": likes},
        }

    assert run([_page([post(1, 0), post(2, 0)], [AUTHOR]), _page([post(3, 0)], [])]) == 3
    # Again, with post 2 liked and two new posts (one of them twice in the batch).
    assert (
        run([_page([post(2, 5), post(4, 0)], [AUTHOR]), _page([post(5, 0), post(4, 1)], [])]) == 2
    )
    assert Tweet.objects.get(pk=2).like_count == 5
    assert Tweet.objects.get(pk=4).like_count == 1
    run.record.refresh_from_db()
    assert (run.record.posts_new, run.record.posts_read, run.record.pages) == (5, 7, 4)
    assert SourceTweet.objects.filter(source=run.source).count() == 5


def test_many_rows_with_escapes_go_through_in_chunks(run):
    text = "tab\t, newline\n, backslash\\ and a long tail " + "x" * 300
    posts = [{"id": str(n), "text": f"{n}: {text}", "author_id": "42"} for n in range(1, 1001)]
    pages = [_page(posts[n : n + 100], [AUTHOR]) for n in range(0, 1000, 100)]
    assert run(pages) == 1000
    assert Tweet.objects.count() == 1000
    assert Tweet.objects.get(pk=777).text == f"777: {text}"


def test_a_batch_the_database_refuses_leaves_nothing(run):
    good = {"id": "7", "text": "fine", "author_id": "42"}
    too_big = {"id": str(2**63), "text": "an id no bigint holds", "author_id": "42"}
    with pytest.raises((DataError, OverflowError)), transaction.atomic():
        run([_page([good], [AUTHOR]), _page([too_big], [])])
    assert not Tweet.objects.exists() and not XUser.objects.exists()
    run.source.refresh_from_db()
    assert run.source.page_token == ""
    # The connection goes on: the next batch is stored.
    assert run([_page([good], [AUTHOR], token="t2")]) == 1
    run.source.refresh_from_db()
    assert run.source.page_token == "t2"


def test_a_run_does_not_write_again_a_user_it_stored_unchanged(django_capture_on_commit_callbacks):
    def store(users: list[dict], users_stored: dict | None) -> None:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            _store(
                tweets=[],
                users=[x.user_values(u) for u in users],
                now=timezone.now(),
                users_stored=users_stored,
            )

    memory: dict[int, int] = {}
    store([AUTHOR], memory)
    assert set(memory) == {42}
    # Someone else's write in between: a run that stored this user unchanged leaves it.
    XUser.objects.filter(pk=42).update(name="changed elsewhere", raw={})
    store([AUTHOR], memory)
    assert XUser.objects.get(pk=42).name == "changed elsewhere"
    # What X sends changed: written.
    store([{**AUTHOR, "name": "New name"}], memory)
    assert XUser.objects.get(pk=42).name == "New name"
    # Without the memory, the database's own rule: written when raw differs.
    XUser.objects.filter(pk=42).update(raw={})
    store([AUTHOR], None)
    assert XUser.objects.get(pk=42).name == "A \\ B"


def test_a_rolled_back_batch_teaches_the_memory_nothing(django_capture_on_commit_callbacks):
    memory: dict[int, int] = {}
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _store(tweets=[], users=[x.user_values(AUTHOR)], now=timezone.now(), users_stored=memory)
        raise RuntimeError("the batch failed after its users")
    assert memory == {} and not XUser.objects.exists()


def test_values_are_the_records_fields_in_order():
    """Ingestion reads tweet_values/user_values by position: they must stay in the
    records' field order. Every recorded post and user, and the odd payloads above."""
    tweets, users = [TRICKY, BARE], [AUTHOR]
    for _name, interaction in all_recordings():
        body = interaction["response"].get("json") or {}
        data = body.get("data")
        for item in data if isinstance(data, list) else [data] if isinstance(data, dict) else []:
            if "text" in item and "edit_history_tweet_ids" in item:
                tweets.append(item)
            elif "username" in item:
                users.append(item)
        users += (body.get("includes") or {}).get("users", [])
    assert len(tweets) > 100 and len(users) > 10
    for item in tweets:
        record = x.parse_tweet(item)
        assert x.tweet_values(item) == tuple(
            getattr(record, f.name) for f in dataclasses.fields(record)
        )
    for item in users:
        record = x.parse_user(item)
        assert x.user_values(item) == tuple(
            getattr(record, f.name) for f in dataclasses.fields(record)
        )


def test_a_page_parses_its_records_on_first_use():
    page = _page([TRICKY, BARE], [AUTHOR])
    assert (page.data, page.user_data) == ([TRICKY, BARE], [AUTHOR])  # as X sent them
    assert page.tweets == [x.parse_tweet(TRICKY), x.parse_tweet(BARE)]
    assert page.users == [x.parse_user(AUTHOR)]
    assert page.tweet_ids == [t.id for t in page.tweets]


def test_created_at_keeps_its_instant():
    body = {"id": "9", "text": "t", "author_id": "42", "created_at": "2026-11-02T23:59:59.000Z"}
    store_posts(tweets=[x.parse_tweet(body)], users=[], now=timezone.now())
    assert Tweet.objects.get(pk=9).created_at == dt.datetime(2026, 11, 2, 23, 59, 59, tzinfo=dt.UTC)
