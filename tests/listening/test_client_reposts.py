"""The X client's repost call, through tweepy, against the bundled simulator."""

from __future__ import annotations

import pytest

from listening import client as x
from tests.recordings import Answer
from tests.xsim_server import xsim, xsim_server  # noqa: F401


def _client(sim, username: str = "brightline") -> x.XClient:
    return x.XClient(token=sim.user_token(username), base_url=sim.url, timeout=(2, 5))


def test_repost_returns_the_reposts_id_and_happens_once(xsim):  # noqa: F811
    source = xsim.inject("Our customers' favourite report", author="happy_customer")
    client = _client(xsim)

    repost_id = client.repost(int(source))

    assert repost_id is not None and repost_id != int(source)
    assert client.repost(int(source)) == repost_id  # asked again: the same repost
    (sent,) = xsim.state()["posts"]
    assert (sent["id"], sent["reposted_tweet_id"]) == (str(repost_id), source)
    page = client.own_posts_page(
        int(xsim.user_id("brightline")), since_id=None, pagination_token=None
    )
    assert page.tweets[0].id == repost_id and page.tweets[0].is_retweet

    client.undo_repost(int(source))
    assert xsim.state()["posts"][0]["deleted"] is True


def test_repost_of_a_missing_post_is_permanent(xsim):  # noqa: F811
    with pytest.raises(x.Permanent, match="deleted or not visible"):
        _client(xsim).repost(1)
    assert xsim.state()["posts"] == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, x.RateLimited), (401, x.AuthRevoked), (503, x.Transient), (403, x.Permanent)],
)
def test_repost_failures_map_to_the_products_errors(xsim, status, error):  # noqa: F811
    source = xsim.inject("Worth a repost", author="industry_voice")
    xsim.fail(status, method="POST", path="/2/users/", reset_in=90)
    with pytest.raises(error):
        _client(xsim).repost(int(source))
    assert xsim.state()["posts"] == []


def test_an_answer_without_the_reposts_id_gives_none(replay):
    replay.add("GET", "/2/users/me", Answer(200, {"data": {"id": "7", "username": "us"}}))
    replay.add("POST", "/2/users/7/retweets", Answer(200, {"data": {"retweeted": True}}))
    assert x.XClient(token="t", base_url=replay.url, timeout=(2, 2)).repost(42) is None


def test_an_answer_with_rest_id_gives_it(replay):
    replay.add("GET", "/2/users/me", Answer(200, {"data": {"id": "7", "username": "us"}}))
    replay.add(
        "POST", "/2/users/7/retweets", Answer(200, {"data": {"retweeted": True, "rest_id": "99"}})
    )
    assert x.XClient(token="t", base_url=replay.url, timeout=(2, 2)).repost(42) == 99
