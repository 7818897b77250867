"""Every endpoint xsim serves answers in the shape X's OpenAPI description declares: the
success answer with all the fields and expansions xsim renders, and the main errors
(400, 401, 403, 404-as-200, 429, 5xx), each with the three x-rate-limit headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.xsim.xapi import openapi
from tests.xsim_server import XsimHandle, XsimResponse
from xsim.api import ROUTES

TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,entities,lang,"
    "public_metrics,possibly_sensitive,source,reply_settings,edit_controls"
)
PRIVATE_TWEET_FIELDS = TWEET_FIELDS + ",non_public_metrics,organic_metrics"
USER_FIELDS = (
    "created_at,description,public_metrics,verified,verified_type,profile_image_url,location,"
    "url,protected,most_recent_tweet_id,receives_your_dm"
)
LIST_FIELDS = "created_at,description,follower_count,member_count,owner_id,private"
TWEET_EXPANSIONS = (
    "author_id,referenced_tweets.id,in_reply_to_user_id,entities.mentions.username,"
    "referenced_tweets.id.author_id"
)
DM_FIELDS = (
    "created_at,sender_id,dm_conversation_id,participant_ids,referenced_tweets,event_type,text"
)
RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
FULL_TWEETS = {
    "tweet.fields": TWEET_FIELDS,
    "user.fields": USER_FIELDS,
    "expansions": TWEET_EXPANSIONS,
}


@dataclass
class Env:
    sim: XsimHandle
    me: str
    token: str
    help_id: str
    help_token: str
    outsider: str
    outsider_token: str
    customer: str
    customer_name: str
    key_prospects: str
    escalations: str
    press: str
    mention: str
    reply_mention: str
    own_post: str
    dm_conversation: str
    group_member: str

    def get(self, path: str, token: str | None = None, **params: Any) -> XsimResponse:
        return self.sim.request("GET", path, token=token or self.token, params=params)


@pytest.fixture(scope="module")
def env(xsim_server: XsimHandle) -> Env:
    openapi()  # skips the module early when ../shared is absent
    sim = xsim_server
    sim.reset()
    world = sim.world()
    lists = {xl["name"]: xl["id"] for xl in world["lists"]}
    journalist = world["people"]["journalist"][0]["username"]
    customers = world["people"]["customer"]
    me = world["accounts"]["brightline"]
    token = sim.user_token("brightline")
    mentions = sim.request(
        "GET",
        f"/2/users/{me}/mentions",
        token=token,
        params={"max_results": 100, "tweet.fields": "referenced_tweets"},
    ).json["data"]
    replies = [
        t
        for t in mentions
        if any(r["type"] == "replied_to" for r in t.get("referenced_tweets", []))
    ]
    own = sim.request("GET", f"/2/users/{me}/tweets", token=token).json["data"]
    sim.inject_dm(customers[0]["username"], "brightline", "Hello, can we talk about pricing?")
    dm = sim.request(
        "GET", "/2/dm_events", token=token, params={"dm_event.fields": "dm_conversation_id"}
    )
    return Env(
        sim=sim,
        me=me,
        token=token,
        help_id=world["accounts"]["brightline_help"],
        help_token=sim.user_token("brightline_help"),
        outsider=sim.user_id(journalist),
        outsider_token=sim.user_token(journalist),
        customer=customers[0]["id"],
        customer_name=customers[0]["username"],
        key_prospects=lists["Key prospects"],
        escalations=lists["Escalations"],
        press=lists["Industry press"],
        mention=mentions[0]["id"],
        reply_mention=replies[0]["id"],
        own_post=own[0]["id"],
        dm_conversation=dm.json["data"][0]["dm_conversation_id"],
        group_member=customers[1]["id"],
    )


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    template: str
    status: int
    call: Callable[[Env], XsimResponse]
    check: Callable[[Any], None] | None = None


def has_data(body: Any) -> None:
    assert body.get("data"), body


def has_includes(*kinds: str) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        assert body.get("data"), body
        for kind in kinds:
            assert body.get("includes", {}).get(kind), f"no includes.{kind}"

    return check


def only_error(kind: str) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        assert "data" not in body
        assert body["errors"][0]["type"].endswith(kind), body

    return check


def problem(kind: str) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        assert body["type"].endswith(kind) and body["title"], body

    return check


def has_repost(body: Any) -> None:
    """The repost's own id (X's answer names it ``id``, beside ``retweeted: true``)."""
    assert body["data"]["retweeted"] is True and body["data"]["id"].isdigit(), body


def not_reposted(body: Any) -> None:
    assert body == {"data": {"retweeted": False}}, body


def liked(value: bool) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        assert body == {"data": {"liked": value}}, body

    return check


def newest_mention(e: Env) -> str:
    return e.get(f"/2/users/{e.me}/mentions").json["meta"]["newest_id"]


def post(e: Env, path: str, body: Any, token: str | None = None) -> XsimResponse:
    return e.sim.request("POST", path, token=token or e.token, json=body)


def forced(status: int, path: str) -> Callable[[Env], XsimResponse]:
    def call(e: Env) -> XsimResponse:
        e.sim.fail(status, path=path, method="GET", reset_in=120)
        return e.get(path)

    return call


CASES = [
    # users
    Case(
        "me",
        "GET",
        "/2/users/me",
        200,
        lambda e: e.get(
            "/2/users/me",
            **{
                "user.fields": USER_FIELDS,
                "expansions": "most_recent_tweet_id",
                "tweet.fields": TWEET_FIELDS,
            },
        ),
        has_data,
    ),
    Case(
        "me with app token",
        "GET",
        "/2/users/me",
        403,
        lambda e: e.get("/2/users/me", token=e.sim.app_bearer),
        problem("unsupported-authentication"),
    ),
    Case(
        "me without token",
        "GET",
        "/2/users/me",
        401,
        lambda e: e.sim.request("GET", "/2/users/me"),
        problem("about:blank"),
    ),
    Case(
        "me with expired token",
        "GET",
        "/2/users/me",
        401,
        lambda e: e.get("/2/users/me", token="no-such-token"),
    ),
    Case(
        "by username",
        "GET",
        "/2/users/by/username/{username}",
        200,
        lambda e: e.get(
            "/2/users/by/username/brightline",
            token=e.sim.app_bearer,
            **{"user.fields": USER_FIELDS},
        ),
        has_data,
    ),
    Case(
        "by unknown username",
        "GET",
        "/2/users/by/username/{username}",
        200,
        lambda e: e.get("/2/users/by/username/nobody_here"),
        only_error("resource-not-found"),
    ),
    Case(
        "by bad username",
        "GET",
        "/2/users/by/username/{username}",
        400,
        lambda e: e.get("/2/users/by/username/not-a-name!"),
        problem("invalid-request"),
    ),
    Case(
        "by usernames",
        "GET",
        "/2/users/by",
        200,
        lambda e: e.get("/2/users/by", usernames=f"brightline,nobody_here,{e.customer_name}"),
        has_data,
    ),
    Case(
        "by id",
        "GET",
        "/2/users/{id}",
        200,
        lambda e: e.get(f"/2/users/{e.help_id}", **{"user.fields": USER_FIELDS}),
        has_data,
    ),
    Case(
        "by unknown id",
        "GET",
        "/2/users/{id}",
        200,
        lambda e: e.get("/2/users/12345"),
        only_error("resource-not-found"),
    ),
    Case(
        "by ids",
        "GET",
        "/2/users",
        200,
        lambda e: e.get("/2/users", ids=f"{e.me},{e.customer},1"),
        has_data,
    ),
    # mentions
    Case(
        "mentions, all fields",
        "GET",
        "/2/users/{id}/mentions",
        200,
        lambda e: e.get(f"/2/users/{e.me}/mentions", max_results=100, **FULL_TWEETS),
        has_includes("users", "tweets"),
    ),
    Case(
        "mentions, app token",
        "GET",
        "/2/users/{id}/mentions",
        200,
        lambda e: e.get(f"/2/users/{e.me}/mentions", token=e.sim.app_bearer),
        has_data,
    ),
    Case(
        "mentions, nothing new",
        "GET",
        "/2/users/{id}/mentions",
        200,
        lambda e: e.get(f"/2/users/{e.me}/mentions", since_id=newest_mention(e)),
    ),
    Case(
        "mentions, max_results too big",
        "GET",
        "/2/users/{id}/mentions",
        400,
        lambda e: e.get(f"/2/users/{e.me}/mentions", max_results=500),
        problem("invalid-request"),
    ),
    Case(
        "mentions, unknown parameter",
        "GET",
        "/2/users/{id}/mentions",
        400,
        lambda e: e.get(f"/2/users/{e.me}/mentions", count=5),
        problem("invalid-request"),
    ),
    Case(
        "mentions, unknown field",
        "GET",
        "/2/users/{id}/mentions",
        400,
        lambda e: e.get(f"/2/users/{e.me}/mentions", **{"tweet.fields": "created_at,color"}),
        problem("invalid-request"),
    ),
    Case(
        "mentions, bad token",
        "GET",
        "/2/users/{id}/mentions",
        400,
        lambda e: e.get(f"/2/users/{e.me}/mentions", pagination_token="nope"),
        problem("invalid-request"),
    ),
    Case(
        "mentions, unknown user",
        "GET",
        "/2/users/{id}/mentions",
        200,
        lambda e: e.get("/2/users/12345/mentions"),
        only_error("resource-not-found"),
    ),
    Case(
        "mentions, 429 forced",
        "GET",
        "/2/users/{id}/mentions",
        429,
        lambda e: forced(429, f"/2/users/{e.me}/mentions")(e),
        problem("about:blank"),
    ),
    # own posts
    Case(
        "own posts with private metrics",
        "GET",
        "/2/users/{id}/tweets",
        200,
        lambda e: e.get(f"/2/users/{e.me}/tweets", **{"tweet.fields": PRIVATE_TWEET_FIELDS}),
        has_data,
    ),
    Case(
        "own posts, app token asks private metrics",
        "GET",
        "/2/users/{id}/tweets",
        403,
        lambda e: e.get(
            f"/2/users/{e.me}/tweets",
            token=e.sim.app_bearer,
            **{"tweet.fields": "non_public_metrics"},
        ),
        problem("unsupported-authentication"),
    ),
    Case(
        "someone else's private metrics",
        "GET",
        "/2/users/{id}/tweets",
        200,
        lambda e: e.get(
            f"/2/users/{e.me}/tweets", token=e.outsider_token, **{"tweet.fields": "organic_metrics"}
        ),
        only_error("not-authorized-for-field"),
    ),
    Case(
        "posts excluding replies",
        "GET",
        "/2/users/{id}/tweets",
        200,
        lambda e: e.get(f"/2/users/{e.me}/tweets", exclude="replies,retweets", max_results=5),
        has_data,
    ),
    # lists
    Case(
        "owned lists (owner)",
        "GET",
        "/2/users/{id}/owned_lists",
        200,
        lambda e: e.get(
            f"/2/users/{e.me}/owned_lists",
            **{"list.fields": LIST_FIELDS, "expansions": "owner_id", "user.fields": USER_FIELDS},
        ),
        has_includes("users"),
    ),
    Case(
        "owned lists (app)",
        "GET",
        "/2/users/{id}/owned_lists",
        200,
        lambda e: e.get(f"/2/users/{e.me}/owned_lists", token=e.sim.app_bearer, max_results=1),
        has_data,
    ),
    Case(
        "list",
        "GET",
        "/2/lists/{id}",
        200,
        lambda e: e.get(
            f"/2/lists/{e.key_prospects}", **{"list.fields": LIST_FIELDS, "expansions": "owner_id"}
        ),
        has_includes("users"),
    ),
    Case(
        "private list, other user",
        "GET",
        "/2/lists/{id}",
        200,
        lambda e: e.get(f"/2/lists/{e.key_prospects}", token=e.outsider_token),
        only_error("not-authorized-for-resource"),
    ),
    Case(
        "unknown list",
        "GET",
        "/2/lists/{id}",
        200,
        lambda e: e.get("/2/lists/42"),
        only_error("resource-not-found"),
    ),
    Case(
        "list members",
        "GET",
        "/2/lists/{id}/members",
        200,
        lambda e: e.get(
            f"/2/lists/{e.key_prospects}/members", max_results=5, **{"user.fields": USER_FIELDS}
        ),
        has_data,
    ),
    Case(
        "list members, private, app",
        "GET",
        "/2/lists/{id}/members",
        200,
        lambda e: e.get(f"/2/lists/{e.escalations}/members", token=e.sim.app_bearer),
        only_error("not-authorized-for-resource"),
    ),
    Case(
        "list members, max_results 0",
        "GET",
        "/2/lists/{id}/members",
        400,
        lambda e: e.get(f"/2/lists/{e.press}/members", max_results=0),
        problem("invalid-request"),
    ),
    Case(
        "list tweets",
        "GET",
        "/2/lists/{id}/tweets",
        200,
        lambda e: e.get(f"/2/lists/{e.key_prospects}/tweets", **FULL_TWEETS),
        has_includes("users"),
    ),
    Case(
        "list tweets, public, app",
        "GET",
        "/2/lists/{id}/tweets",
        200,
        lambda e: e.get(f"/2/lists/{e.press}/tweets", token=e.sim.app_bearer, max_results=5),
        has_data,
    ),
    # search and lookup
    Case(
        "recent search",
        "GET",
        "/2/tweets/search/recent",
        200,
        lambda e: e.get(
            "/2/tweets/search/recent", query="brightline -is:retweet", max_results=50, **FULL_TWEETS
        ),
        has_includes("users"),
    ),
    Case(
        "recent search, bad query",
        "GET",
        "/2/tweets/search/recent",
        400,
        lambda e: e.get("/2/tweets/search/recent", query="(brightline"),
        problem("invalid-request"),
    ),
    Case(
        "recent search, max_results 5",
        "GET",
        "/2/tweets/search/recent",
        400,
        lambda e: e.get("/2/tweets/search/recent", query="brightline", max_results=5),
        problem("invalid-request"),
    ),
    Case(
        "recent search, nothing",
        "GET",
        "/2/tweets/search/recent",
        200,
        lambda e: e.get("/2/tweets/search/recent", query="zyzzyva"),
    ),
    Case(
        "recent counts",
        "GET",
        "/2/tweets/counts/recent",
        200,
        lambda e: e.get(
            "/2/tweets/counts/recent", token=e.sim.app_bearer, query="brightline", granularity="day"
        ),
        has_data,
    ),
    Case(
        "recent counts, user token",
        "GET",
        "/2/tweets/counts/recent",
        403,
        lambda e: e.get("/2/tweets/counts/recent", query="brightline"),
        problem("unsupported-authentication"),
    ),
    Case(
        "posts by ids",
        "GET",
        "/2/tweets",
        200,
        lambda e: e.get("/2/tweets", ids=f"{e.mention},{e.reply_mention},1", **FULL_TWEETS),
        has_includes("users", "tweets"),
    ),
    Case(
        "posts by ids, none",
        "GET",
        "/2/tweets",
        400,
        lambda e: e.get("/2/tweets"),
        problem("invalid-request"),
    ),
    Case(
        "post",
        "GET",
        "/2/tweets/{id}",
        200,
        lambda e: e.get(f"/2/tweets/{e.own_post}", **{"tweet.fields": PRIVATE_TWEET_FIELDS}),
        has_data,
    ),
    Case(
        "unknown post",
        "GET",
        "/2/tweets/{id}",
        200,
        lambda e: e.get("/2/tweets/1"),
        only_error("resource-not-found"),
    ),
    Case(
        "post, 500 forced",
        "GET",
        "/2/tweets/{id}",
        500,
        lambda e: forced(500, f"/2/tweets/{e.own_post}")(e),
        problem("about:blank"),
    ),
    Case(
        "post, 503 forced",
        "GET",
        "/2/tweets/{id}",
        503,
        lambda e: forced(503, f"/2/tweets/{e.own_post}")(e),
        problem("about:blank"),
    ),
    Case(
        "post, 401 forced",
        "GET",
        "/2/tweets/{id}",
        401,
        lambda e: forced(401, f"/2/tweets/{e.own_post}")(e),
        problem("about:blank"),
    ),
    Case(
        "home timeline",
        "GET",
        "/2/users/{id}/timelines/reverse_chronological",
        200,
        lambda e: e.get(
            f"/2/users/{e.me}/timelines/reverse_chronological", max_results=20, **FULL_TWEETS
        ),
        has_data,
    ),
    Case(
        "followers",
        "GET",
        "/2/users/{id}/followers",
        200,
        lambda e: e.get(
            f"/2/users/{e.me}/followers", max_results=20, **{"user.fields": USER_FIELDS}
        ),
        has_data,
    ),
    # writing
    Case(
        "create post",
        "POST",
        "/2/tweets",
        201,
        lambda e: post(
            e, "/2/tweets", {"text": "Our spring release is out: https://brightline.example/spring"}
        ),
        has_data,
    ),
    Case(
        "create reply",
        "POST",
        "/2/tweets",
        201,
        lambda e: post(
            e,
            "/2/tweets",
            {"text": "Thanks, we're on it!", "reply": {"in_reply_to_tweet_id": e.mention}},
            e.help_token,
        ),
        has_data,
    ),
    Case(
        "create post, app token",
        "POST",
        "/2/tweets",
        403,
        lambda e: post(e, "/2/tweets", {"text": "hello"}, e.sim.app_bearer),
        problem("unsupported-authentication"),
    ),
    Case(
        "create post, duplicate",
        "POST",
        "/2/tweets",
        403,
        lambda e: [
            post(e, "/2/tweets", {"text": "Twice"}),
            post(e, "/2/tweets", {"text": "Twice"}),
        ][1],
        problem("about:blank"),
    ),
    Case(
        "create post, reply to nothing",
        "POST",
        "/2/tweets",
        403,
        lambda e: post(e, "/2/tweets", {"text": "hi", "reply": {"in_reply_to_tweet_id": "1"}}),
        problem("about:blank"),
    ),
    Case(
        "create post, no text",
        "POST",
        "/2/tweets",
        400,
        lambda e: post(e, "/2/tweets", {}),
        problem("invalid-request"),
    ),
    Case(
        "delete post",
        "DELETE",
        "/2/tweets/{id}",
        200,
        lambda e: e.sim.request(
            "DELETE",
            f"/2/tweets/{post(e, '/2/tweets', {'text': 'Oops, wrong link'}).json['data']['id']}",
            token=e.token,
        ),
        has_data,
    ),
    Case(
        "delete someone else's post",
        "DELETE",
        "/2/tweets/{id}",
        403,
        lambda e: e.sim.request("DELETE", f"/2/tweets/{e.mention}", token=e.token),
        problem("about:blank"),
    ),
    # reposts
    Case(
        "repost",
        "POST",
        "/2/users/{id}/retweets",
        200,
        lambda e: post(e, f"/2/users/{e.me}/retweets", {"tweet_id": e.mention}),
        has_repost,
    ),
    Case(
        "repost, again",
        "POST",
        "/2/users/{id}/retweets",
        200,
        lambda e: [
            post(e, f"/2/users/{e.me}/retweets", {"tweet_id": e.reply_mention}),
            post(e, f"/2/users/{e.me}/retweets", {"tweet_id": e.reply_mention}),
        ][1],
        has_repost,
    ),
    Case(
        "repost, unknown post",
        "POST",
        "/2/users/{id}/retweets",
        403,
        lambda e: post(e, f"/2/users/{e.me}/retweets", {"tweet_id": "1"}),
        problem("about:blank"),
    ),
    Case(
        "repost, for another user",
        "POST",
        "/2/users/{id}/retweets",
        403,
        lambda e: post(e, f"/2/users/{e.help_id}/retweets", {"tweet_id": e.mention}),
        problem("about:blank"),
    ),
    Case(
        "repost, app token",
        "POST",
        "/2/users/{id}/retweets",
        403,
        lambda e: post(e, f"/2/users/{e.me}/retweets", {"tweet_id": e.mention}, e.sim.app_bearer),
        problem("unsupported-authentication"),
    ),
    Case(
        "repost, no post id",
        "POST",
        "/2/users/{id}/retweets",
        400,
        lambda e: post(e, f"/2/users/{e.me}/retweets", {}),
        problem("invalid-request"),
    ),
    Case(
        "undo repost",
        "DELETE",
        "/2/users/{id}/retweets/{source_tweet_id}",
        200,
        lambda e: [
            post(e, f"/2/users/{e.help_id}/retweets", {"tweet_id": e.own_post}, e.help_token),
            e.sim.request(
                "DELETE", f"/2/users/{e.help_id}/retweets/{e.own_post}", token=e.help_token
            ),
        ][1],
        not_reposted,
    ),
    Case(
        "undo repost, for another user",
        "DELETE",
        "/2/users/{id}/retweets/{source_tweet_id}",
        403,
        lambda e: e.sim.request(
            "DELETE", f"/2/users/{e.me}/retweets/{e.mention}", token=e.help_token
        ),
        problem("about:blank"),
    ),
    # likes
    Case(
        "like",
        "POST",
        "/2/users/{id}/likes",
        200,
        lambda e: post(e, f"/2/users/{e.me}/likes", {"tweet_id": e.mention}),
        liked(True),
    ),
    Case(
        "like, again",
        "POST",
        "/2/users/{id}/likes",
        200,
        lambda e: [
            post(e, f"/2/users/{e.me}/likes", {"tweet_id": e.reply_mention}),
            post(e, f"/2/users/{e.me}/likes", {"tweet_id": e.reply_mention}),
        ][1],
        liked(True),
    ),
    Case(
        "like, unknown post",
        "POST",
        "/2/users/{id}/likes",
        403,
        lambda e: post(e, f"/2/users/{e.me}/likes", {"tweet_id": "1"}),
        problem("about:blank"),
    ),
    Case(
        "like, for another user",
        "POST",
        "/2/users/{id}/likes",
        403,
        lambda e: post(e, f"/2/users/{e.help_id}/likes", {"tweet_id": e.mention}),
        problem("about:blank"),
    ),
    Case(
        "like, app token",
        "POST",
        "/2/users/{id}/likes",
        403,
        lambda e: post(e, f"/2/users/{e.me}/likes", {"tweet_id": e.mention}, e.sim.app_bearer),
        problem("unsupported-authentication"),
    ),
    Case(
        "like, no post id",
        "POST",
        "/2/users/{id}/likes",
        400,
        lambda e: post(e, f"/2/users/{e.me}/likes", {}),
        problem("invalid-request"),
    ),
    Case(
        "unlike",
        "DELETE",
        "/2/users/{id}/likes/{tweet_id}",
        200,
        lambda e: [
            post(e, f"/2/users/{e.help_id}/likes", {"tweet_id": e.own_post}, e.help_token),
            e.sim.request("DELETE", f"/2/users/{e.help_id}/likes/{e.own_post}", token=e.help_token),
        ][1],
        liked(False),
    ),
    # direct messages
    Case(
        "dm events",
        "GET",
        "/2/dm_events",
        200,
        lambda e: e.get(
            "/2/dm_events",
            **{
                "dm_event.fields": DM_FIELDS,
                "expansions": "sender_id,participant_ids",
                "user.fields": USER_FIELDS,
            },
        ),
        has_includes("users"),
    ),
    Case(
        "dm events, app token",
        "GET",
        "/2/dm_events",
        403,
        lambda e: e.get("/2/dm_events", token=e.sim.app_bearer),
        problem("unsupported-authentication"),
    ),
    Case(
        "dm events, none",
        "GET",
        "/2/dm_events",
        200,
        lambda e: e.get("/2/dm_events", token=e.outsider_token),
    ),
    Case(
        "dm conversation events",
        "GET",
        "/2/dm_conversations/{id}/dm_events",
        200,
        lambda e: e.get(
            f"/2/dm_conversations/{e.dm_conversation}/dm_events", **{"dm_event.fields": DM_FIELDS}
        ),
        has_data,
    ),
    Case(
        "dm events with a user",
        "GET",
        "/2/dm_conversations/with/{participant_id}/dm_events",
        200,
        lambda e: e.get(f"/2/dm_conversations/with/{e.customer}/dm_events"),
        has_data,
    ),
    Case(
        "send dm",
        "POST",
        "/2/dm_conversations/with/{participant_id}/messages",
        201,
        lambda e: post(
            e,
            f"/2/dm_conversations/with/{e.customer}/messages",
            {"text": "Happy to help, what's your account?"},
        ),
        has_data,
    ),
    Case(
        "send dm, app token",
        "POST",
        "/2/dm_conversations/with/{participant_id}/messages",
        403,
        lambda e: post(
            e, f"/2/dm_conversations/with/{e.customer}/messages", {"text": "x"}, e.sim.app_bearer
        ),
        problem("unsupported-authentication"),
    ),
    Case(
        "send dm in conversation",
        "POST",
        "/2/dm_conversations/{dm_conversation_id}/messages",
        201,
        lambda e: post(
            e, f"/2/dm_conversations/{e.dm_conversation}/messages", {"text": "Following up"}
        ),
        has_data,
    ),
    Case(
        "create group conversation",
        "POST",
        "/2/dm_conversations",
        201,
        lambda e: post(
            e,
            "/2/dm_conversations",
            {
                "conversation_type": "Group",
                "participant_ids": [e.customer, e.group_member],
                "message": {"text": "Welcome!"},
            },
        ),
        has_data,
    ),
]


# List writes (prospect lists mirror a private X list): add, then remove, the same member.
CASES += [
    Case(
        "create list",
        "POST",
        "/2/lists",
        200,
        lambda e: post(e, "/2/lists", {"name": "Q3 targets", "private": True}),
        has_data,
    ),
    Case(
        "add list member",
        "POST",
        "/2/lists/{id}/members",
        200,
        lambda e: post(e, f"/2/lists/{e.key_prospects}/members", {"user_id": e.customer}),
        has_data,
    ),
    Case(
        "remove list member",
        "DELETE",
        "/2/lists/{id}/members/{user_id}",
        200,
        lambda e: e.sim.request(
            "DELETE", f"/2/lists/{e.key_prospects}/members/{e.customer}", token=e.token
        ),
        has_data,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_answer_matches_x_openapi(env: Env, case: Case) -> None:
    response = case.call(env)
    assert response.status == case.status, response.text
    for header in RATE_HEADERS:
        assert response.headers.get(header, "").isdigit(), f"{header} missing: {response.headers}"
    openapi().validate(
        case.template, case.method, response.status, response.headers["content-type"], response.json
    )
    if case.check is not None:
        case.check(response.json)


def test_every_served_route_has_a_success_case_and_exists_in_the_openapi() -> None:
    doc = openapi().raw
    succeeded = {(c.method, c.template) for c in CASES if c.status < 300}
    for route in ROUTES:
        template = route.pattern
        for name in route.regex.groupindex:
            template = template.replace(f":{name}", f"{{{name}}}")
        assert template in doc["paths"], f"{template} is not in X's OpenAPI"
        assert route.method.lower() in doc["paths"][template]
        assert (route.method, template) in succeeded, f"no success case for {route.name}"
