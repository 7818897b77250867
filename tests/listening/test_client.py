"""The X client, through tweepy, against real recorded answers replayed on loopback."""

from __future__ import annotations

import datetime as dt

import pytest

from listening import client as x
from tests.recordings import Answer, all_recordings, load


def test_every_recorded_post_and_user_parses_unchanged():
    posts = users = 0
    for _name, interaction in all_recordings():
        body = interaction["response"].get("json") or {}
        data = body.get("data")
        items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        for item in items:
            if "text" in item and "edit_history_tweet_ids" in item:
                record = x.parse_tweet(item)
                assert record.id == int(item["id"]) and record.text == item["text"]
                assert record.raw is item  # kept as X sent it
                posts += 1
            elif "username" in item:
                assert x.parse_user(item).username == item["username"]
                users += 1
        for user in (body.get("includes") or {}).get("users", []):
            x.parse_user(user)
            users += 1
    assert posts > 100 and users > 10


def _client(replay) -> x.XClient:
    return x.XClient(token="recorded", base_url=replay.url, timeout=(2, 2))


def test_mentions_page(replay):
    replay.add_recording("test_client_get_users_mentions")
    recorded = load("test_client_get_users_mentions")[0]["response"]["json"]
    page = _client(replay).mentions_page(783214, since_id=None, pagination_token=None)
    assert [t.id for t in page.tweets] == [int(t["id"]) for t in recorded["data"]]
    assert page.newest_id == int(recorded["meta"]["newest_id"])
    assert page.next_token == recorded["meta"]["next_token"]
    method, path = replay.requests[0]
    assert (method, path.split("?")[0]) == ("GET", "/2/users/783214/mentions")
    assert "max_results=100" in path and "expansions=author_id" in path


@pytest.mark.parametrize(
    ("recording", "call"),
    [
        (
            "test_client_get_list_tweets",
            lambda c: c.list_tweets_page(84839422, pagination_token=None),
        ),
        (
            "test_client_search_recent_tweets",
            lambda c: c.search_page("Tweepy", since_id=None, pagination_token=None),
        ),
        (
            "test_client_get_users_tweets",
            lambda c: c.own_posts_page(783214, since_id=None, pagination_token=None),
        ),
    ],
)
def test_timelines(replay, recording, call):
    replay.add_recording(recording)
    recorded = load(recording)[0]["response"]["json"]
    page = call(_client(replay))
    assert len(page.tweets) == len(recorded["data"]) == page.result_count


def test_users_and_lists(replay):
    replay.add_recording("test_client_get_me")
    replay.add_recording("test_client_get_user")
    replay.add_recording("test_client_get_owned_lists")
    c = _client(replay)
    assert c.me().username == load("test_client_get_me")[0]["response"]["json"]["data"]["username"]
    assert c.user_by_username("Twitter").username == "Twitter"
    lists = c.owned_lists(783214)
    assert lists and all(isinstance(item, x.ListRecord) for item in lists)


def test_not_found_comes_as_200_with_errors(replay):
    replay.add(
        "GET",
        "/2/users/by/username/nobody_here",
        Answer(200, {"errors": [{"title": "Not Found Error", "detail": "Could not find user"}]}),
    )
    assert _client(replay).user_by_username("nobody_here") is None


def test_429_is_rate_limited_until_reset(replay):
    reset = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3)).timestamp())
    replay.add(
        "GET",
        "/2/users/1/mentions",
        Answer(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(reset)}),
    )
    with pytest.raises(x.RateLimited) as exc:
        _client(replay).mentions_page(1, since_id=None, pagination_token=None)
    assert int(exc.value.reset_at.timestamp()) == reset


def test_429_far_in_the_future_waits_one_window_at_most(replay):
    reset = int((dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).timestamp())
    replay.add("GET", "/2/users/1/mentions", Answer(429, {}, {"x-rate-limit-reset": str(reset)}))
    with pytest.raises(x.RateLimited) as exc:
        _client(replay).mentions_page(1, since_id=None, pagination_token=None)
    assert exc.value.reset_at < dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, x.AuthRevoked),
        (500, x.Transient),
        (503, x.Transient),
        (400, x.Permanent),
        (403, x.Permanent),
    ],
)
def test_failures_map_to_the_products_errors(replay, status, error):
    replay.add("GET", "/2/users/1/mentions", Answer(status, {"title": "nope", "detail": "nope"}))
    with pytest.raises(error):
        _client(replay).mentions_page(1, since_id=None, pagination_token=None)


def test_timeout_and_refused_connection_are_transient(replay):
    replay.add("GET", "/2/users/1/mentions", Answer(200, {"meta": {"result_count": 0}}, delay=1))
    slow = x.XClient(token="t", base_url=replay.url, timeout=(1, 0.3))
    with pytest.raises(x.Transient):
        slow.mentions_page(1, since_id=None, pagination_token=None)
    closed = x.XClient(token="t", base_url="http://127.0.0.1:9", timeout=(1, 1))
    with pytest.raises(x.Transient):
        closed.mentions_page(1, since_id=None, pagination_token=None)


def test_create_post(replay):
    replay.add(
        "POST",
        "/2/tweets",
        Answer(201, {"data": {"id": "42", "text": "hi", "edit_history_tweet_ids": ["42"]}}),
    )
    assert _client(replay).create_post("hi") == 42
