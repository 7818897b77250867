"""tweepy 4.17, the client the product uses, talks to xsim as to X: its session rewrites
https://api.twitter.com to the simulator, as the product's X client does."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
import tweepy

from tests.xsim_server import XsimHandle

X_HOST = "https://api.twitter.com"


class _Rewrite(requests.Session):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.trust_env = False  # no proxy between a test and loopback
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", 10)
        return super().request(method, url.replace(X_HOST, self.base_url, 1), *args, **kwargs)


def client(xsim: XsimHandle, token: str) -> tweepy.Client:
    c = tweepy.Client(bearer_token=token)
    c.session = _Rewrite(xsim.url)
    return c


def test_mentions_with_paginator_and_since_id(xsim: XsimHandle, company: dict) -> None:
    x = client(xsim, company["token"])
    first = x.get_users_mentions(company["id"], max_results=5, user_auth=False)
    since_id = first.meta["newest_id"]
    xsim.config(mention_rate=1200)
    xsim.advance(600)
    seen = []
    for page in tweepy.Paginator(
        x.get_users_mentions,
        company["id"],
        since_id=since_id,
        max_results=100,
        tweet_fields=["created_at", "author_id", "lang"],
        expansions=["author_id"],
        user_auth=False,
    ):
        seen += [t.id for t in page.data or []]
        assert {u.id for u in page.includes["users"]} >= {t.author_id for t in page.data}
    assert len(seen) == len(set(seen)) > 50
    assert min(seen) > int(since_id)


def test_search_lists_and_lookup(xsim: XsimHandle, company: dict) -> None:
    x = client(xsim, company["token"])
    pages = list(
        tweepy.Paginator(
            x.search_recent_tweets,
            "brightline -is:retweet",
            max_results=10,
            limit=3,
            user_auth=False,
        )
    )
    assert len(pages) == 3 and all(len(p.data) == 10 for p in pages)
    owned = x.get_owned_lists(company["id"], list_fields=["private"], user_auth=False)
    key = next(xl for xl in owned.data if xl.name == "Key prospects")
    assert key.private is True
    tweets = x.get_list_tweets(key.id, max_results=5, tweet_fields=["author_id"], user_auth=False)
    assert len(tweets.data) == 5
    me = x.get_me(user_auth=False)
    assert me.data.username == "brightline"
    missing = x.get_tweet(1, user_auth=False)
    assert missing.data is None and missing.errors[0]["title"] == "Not Found Error"


def test_posting_and_errors(xsim: XsimHandle, company: dict) -> None:
    x = client(xsim, company["token"])
    created = x.create_tweet(text="Live from the simulator", user_auth=False)
    assert created.data["text"] == "Live from the simulator"
    with pytest.raises(tweepy.Forbidden, match="duplicate content"):
        x.create_tweet(text="Live from the simulator", user_auth=False)
    with pytest.raises(tweepy.BadRequest, match="max_results"):
        x.get_users_mentions(company["id"], max_results=1000, user_auth=False)
    xsim.fail(429, path="/2/users/", reset_in=90)
    with pytest.raises(tweepy.TooManyRequests) as limited:
        x.get_users_mentions(company["id"], user_auth=False)
    assert limited.value.reset_time == int(xsim.state()["now_unix"] + 90)
    with pytest.raises(tweepy.Unauthorized):
        client(xsim, "expired").get_me(user_auth=False)
    with pytest.raises(tweepy.Forbidden, match="Application-Only is forbidden"):
        client(xsim, xsim.app_bearer).get_me(user_auth=False)


def test_reposting(xsim: XsimHandle, company: dict) -> None:
    x = client(xsim, company["token"])
    source = xsim.inject("A post worth sharing", author="industry_voice")
    # With an OAuth 2.0 user token, tweepy asks /2/users/me for the id to put in the path.
    answer = x.retweet(source, user_auth=False)
    assert answer.data["retweeted"] is True
    mine = x.get_users_tweets(company["id"], tweet_fields=["referenced_tweets"], user_auth=False)
    assert mine.data[0].id == int(answer.data["id"])
    assert x.unretweet(source, user_auth=False).data == {"retweeted": False}
    with pytest.raises(tweepy.Forbidden, match="deleted or not visible"):
        x.retweet(1, user_auth=False)


def test_concurrent_clients_get_consistent_answers(xsim: XsimHandle, company: dict) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            x = client(xsim, company["token"])
            for _ in range(15):
                page = x.get_users_mentions(company["id"], max_results=10, user_auth=False)
                assert page.meta["result_count"] == 10
                x.search_recent_tweets("brightline", user_auth=False)
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    def clock() -> None:
        for _ in range(15):
            xsim.advance(30)

    threads = [threading.Thread(target=work) for _ in range(6)] + [threading.Thread(target=clock)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert xsim.state()["statuses"]["GET /2/users/:id/mentions"] == {"200": 90}
