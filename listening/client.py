"""The one way SocialOps talks to the X API v2 (the only module that imports tweepy).

It returns plain typed records and turns X's failures into four errors the rest of the
product can act on: RateLimited (until a time), AuthRevoked, Transient, Permanent.
The client for one of our accounts comes from client_for (its token refreshed when it
is about to expire), or with_fresh_token (and refreshed once more if X refuses it).

tweepy hard-codes https://api.twitter.com; a requests.Session that rewrites that prefix
points it at X_API_BASE_URL (the bundled simulator in development), and sets the
timeouts tweepy does not.

Sending exactly once. X takes no idempotency key on a post, a reply, a quote or a DM, so
a send whose answer was lost (the worker killed after X accepted it, a timeout on the
way back) cannot simply be repeated. The story a caller follows:

1. before sending, it claims the send in the database (a conditional UPDATE: one worker
   only) and records the moment (``claimed_at``) and exactly what it sends;
2. it sends (``create_post`` for a post, reply or quote; ``send_dm``; ``like``) and
   stores X's id in one transaction;
3. a send found claimed but without X's id (its worker died) is reconciled before it is
   ever sent again: ``find_own_post`` / ``find_sent_dm`` look through the account's own
   posts / the conversation's DM events since ``claimed_at`` for one with the same text
   (links compared after X's t.co wrapping, a reply's leading @handles ignored) and the
   same target; found, its id is stored and nothing is sent; not found, it is sent.
   Reconcile with a small margin before ``claimed_at`` (clocks differ).

X itself helps a little: it refuses the same post text twice from one account within a
while (403, "duplicate content": treat as "look it up"), keeps one like per account and
post (liking again answers ``liked: true``) and one repost. It does not refuse a repeated
DM, so a DM is only ever re-sent after ``find_sent_dm`` found nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
import tweepy
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listening.models import XAccount

X_HOST = "https://api.twitter.com"

TWEET_FIELDS = [
    "created_at",
    "author_id",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "lang",
    "public_metrics",
]
# Only for the authenticated account's own posts of the last 30 days, with user auth.
OWN_TWEET_FIELDS = [*TWEET_FIELDS, "non_public_metrics", "organic_metrics"]
USER_FIELDS = [
    "created_at",
    "description",
    "location",
    "profile_image_url",
    "protected",
    "public_metrics",
    "verified",
]
LIST_FIELDS = ["created_at", "description", "member_count", "follower_count", "owner_id", "private"]
EXPANSIONS = ["author_id"]
DM_EVENT_FIELDS = ["created_at", "sender_id", "dm_conversation_id", "participant_ids"]
DM_EXPANSIONS = ["sender_id"]
# How far before a claim a reconciliation looks (clocks differ between us and X).
RECONCILE_MARGIN = timedelta(minutes=2)
# A 429 whose reset lies further ahead than one 15-minute window is a clock we do not
# share (or a bug); waiting longer than a window is never right.
MAX_RATE_LIMIT_WAIT = timedelta(minutes=15, seconds=5)


# --- Errors ---------------------------------------------------------------------------


class XError(Exception):
    """Any failure talking to X."""


class RateLimited(XError):
    def __init__(self, reset_at: datetime, message: str = "rate limited") -> None:
        super().__init__(f"{message}; resets at {reset_at:%H:%M:%S} UTC")
        self.reset_at = reset_at


class AuthRevoked(XError):
    """The token no longer works: the account must be reconnected."""


class Transient(XError):
    """Worth retrying later: X's 5xx, timeouts, connection errors."""


class Permanent(XError):
    """Retrying will not help: a bad request, a forbidden resource."""


# --- Records --------------------------------------------------------------------------


def _dt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


_NOTHING: dict = {}


# A record's fields are also its database columns, in order: listening/columns.py derives
# the rows, the COPY lines and the column lists from them. Unmarked, a field is stored under
# its own name when X first sends the post or user and kept as it was; these say otherwise.
UPDATED = {"updated": True}  # rewritten whenever X sends the post again
METRIC = {"updated": True, "metric": True}
PRIVATE_METRIC = {**METRIC, "private": True}  # X sends it only with user auth, for 30 days
NOT_STORED = {"stored": False}


@dataclass(frozen=True)
class UserRecord:
    """A user; stored in XUser, every field rewritten when X sends a changed profile."""

    id: int
    username: str
    name: str = ""
    description: str = ""
    location: str = ""
    profile_image_url: str = ""
    verified: bool = False
    protected: bool = False
    followers_count: int | None = None
    following_count: int | None = None
    tweet_count: int | None = None
    listed_count: int | None = None
    created_at: datetime | None = field(default=None, metadata={"column": "x_created_at"})
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class TweetRecord:
    """A post; stored in Tweet."""

    id: int
    text: str = field(metadata=UPDATED)
    # Stored as author 0 when X does not say (old payloads): a post needs an author row.
    author_id: int | None = field(default=None, metadata={"none_as": 0})
    created_at: datetime | None = None
    conversation_id: int | None = None
    in_reply_to_user_id: int | None = None
    in_reply_to_tweet_id: int | None = None
    lang: str = ""
    is_retweet: bool = False
    like_count: int | None = field(default=None, metadata=METRIC)
    retweet_count: int | None = field(default=None, metadata=METRIC)
    reply_count: int | None = field(default=None, metadata=METRIC)
    quote_count: int | None = field(default=None, metadata=METRIC)
    impression_count: int | None = field(default=None, metadata=METRIC)
    bookmark_count: int | None = field(default=None, metadata=METRIC)
    url_link_clicks: int | None = field(default=None, metadata=PRIVATE_METRIC)
    user_profile_clicks: int | None = field(default=None, metadata=PRIVATE_METRIC)
    engagements: int | None = field(default=None, metadata=PRIVATE_METRIC)
    mentioned_usernames: tuple[str, ...] = field(default=(), metadata=NOT_STORED)
    raw: dict = field(default_factory=dict, compare=False, repr=False, metadata=UPDATED)


@dataclass(frozen=True)
class ListRecord:
    id: int
    name: str
    private: bool = False
    owner_id: int | None = None
    description: str = ""
    member_count: int | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Page:
    """One page of a v2 timeline answer. Its posts (`data`) and users (`user_data`) are
    kept as X sent them and parsed into records on first use: ingestion takes them to
    the database without (tweet_values, user_values)."""

    data: list[dict]
    user_data: list[dict]
    newest_id: int | None
    oldest_id: int | None
    next_token: str | None
    result_count: int
    errors: list[dict] = field(default_factory=list)

    @cached_property
    def tweets(self) -> list[TweetRecord]:
        return [parse_tweet(item) for item in self.data]

    @cached_property
    def users(self) -> list[UserRecord]:
        return [parse_user(item) for item in self.user_data]

    @cached_property
    def tweet_ids(self) -> list[int]:
        return [int(item["id"]) for item in self.data]


@dataclass(frozen=True)
class DmEventRecord:
    """A direct-message event (X's ``dm_events``); stored as listening.DirectMessage."""

    id: int
    event_type: str
    dm_conversation_id: str
    sender_id: int | None
    text: str
    created_at: datetime | None
    participant_ids: tuple[int, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def recipient_id(self) -> int | None:
        """The other party of a one-to-one conversation (X names it "low-high" by the
        two user ids); None in a group conversation."""
        low, sep, high = self.dm_conversation_id.partition("-")
        if not sep or not (low.isdigit() and high.isdigit()):
            return None
        return int(high) if int(low) == self.sender_id else int(low)


@dataclass(frozen=True)
class DmPage:
    """One page of a DM events timeline, newest first. X's DM timelines hand out a
    next_token on every non-empty page, even the last: the end is an empty page."""

    data: list[dict]
    user_data: list[dict]
    next_token: str | None
    result_count: int
    errors: list[dict] = field(default_factory=list)

    @cached_property
    def events(self) -> list[DmEventRecord]:
        return [parse_dm_event(item) for item in self.data]

    @cached_property
    def users(self) -> list[UserRecord]:
        return [parse_user(item) for item in self.user_data]

    @cached_property
    def event_ids(self) -> list[int]:
        return [int(item["id"]) for item in self.data]


@dataclass(frozen=True)
class DmSent:
    """What X answers to a DM sent: the new event's id and its conversation."""

    dm_event_id: int
    dm_conversation_id: str


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scope: str


# Every post and user ingested goes through these (bench/ingest.py): they inline _int
# and look into the optional parts only when X sent them. *_values give a record's
# fields in order without the record: ingestion takes them straight to the database.


def user_values(data: dict) -> tuple:
    """A user's fields in UserRecord's order."""
    get = data.get
    metric = (get("public_metrics") or _NOTHING).get
    followers, following = metric("followers_count"), metric("following_count")
    tweets, listed = metric("tweet_count"), metric("listed_count")
    created_at = get("created_at")
    return (
        int(data["id"]),
        get("username", ""),
        get("name", ""),
        get("description", ""),
        get("location", ""),
        get("profile_image_url", ""),
        bool(get("verified", False)),
        bool(get("protected", False)),
        None if followers is None else int(followers),
        None if following is None else int(following),
        None if tweets is None else int(tweets),
        None if listed is None else int(listed),
        _dt(created_at) if created_at else None,
        data,
    )


def tweet_values(data: dict) -> tuple:
    """A post's fields in TweetRecord's order."""
    get = data.get
    # organic_metrics and non_public_metrics overlap; take whichever X sent.
    organic, non_public = get("organic_metrics"), get("non_public_metrics")
    private = {**(organic or {}), **(non_public or {})} if organic or non_public else _NOTHING
    replied_to, is_retweet = None, False
    if referenced := get("referenced_tweets"):
        replied_to = next((r["id"] for r in referenced if r.get("type") == "replied_to"), None)
        is_retweet = any(r.get("type") == "retweeted" for r in referenced)
    entities = get("entities")
    mentions = (entities.get("mentions") if entities else None) or ()
    author_id, conversation_id = get("author_id"), get("conversation_id")
    reply_to_user, created_at = get("in_reply_to_user_id"), get("created_at")
    metric = (get("public_metrics") or _NOTHING).get
    likes, retweets, replies = metric("like_count"), metric("retweet_count"), metric("reply_count")
    quotes, bookmarks = metric("quote_count"), metric("bookmark_count")
    impressions = metric("impression_count", private.get("impression_count"))
    clicks, profile_clicks, engagements = None, None, None
    if private:
        clicks, profile_clicks = private.get("url_link_clicks"), private.get("user_profile_clicks")
        engagements = private.get("engagements")
    return (
        int(data["id"]),
        get("text", ""),
        None if author_id is None else int(author_id),
        _dt(created_at) if created_at else None,
        None if conversation_id is None else int(conversation_id),
        None if reply_to_user is None else int(reply_to_user),
        None if replied_to is None else int(replied_to),
        get("lang", "") or "",
        is_retweet,
        None if likes is None else int(likes),
        None if retweets is None else int(retweets),
        None if replies is None else int(replies),
        None if quotes is None else int(quotes),
        None if impressions is None else int(impressions),
        None if bookmarks is None else int(bookmarks),
        None if clicks is None else int(clicks),
        None if profile_clicks is None else int(profile_clicks),
        None if engagements is None else int(engagements),
        tuple(m.get("username", "") for m in mentions),
        data,
    )


def parse_user(data: dict) -> UserRecord:
    return UserRecord(*user_values(data))


def parse_tweet(data: dict) -> TweetRecord:
    return TweetRecord(*tweet_values(data))


def parse_list(data: dict) -> ListRecord:
    return ListRecord(
        id=int(data["id"]),
        name=data.get("name", ""),
        private=bool(data.get("private", False)),
        owner_id=_int(data.get("owner_id")),
        description=data.get("description", ""),
        member_count=_int(data.get("member_count")),
        raw=data,
    )


def parse_dm_event(data: dict) -> DmEventRecord:
    sender = data.get("sender_id")
    return DmEventRecord(
        id=int(data["id"]),
        event_type=data.get("event_type", "MessageCreate"),
        dm_conversation_id=str(data.get("dm_conversation_id", "")),
        sender_id=None if sender is None else int(sender),
        text=data.get("text", ""),
        created_at=_dt(data.get("created_at")),
        participant_ids=tuple(int(p) for p in data.get("participant_ids") or ()),
        raw=data,
    )


def parse_dm_page(body: dict) -> DmPage:
    meta = body.get("meta") or {}
    data = body.get("data") or []
    return DmPage(
        data=list(data),
        user_data=list((body.get("includes") or {}).get("users") or []),
        next_token=meta.get("next_token") if data else None,
        result_count=int(meta.get("result_count", len(data))),
        errors=list(body.get("errors") or []),
    )


_URL = re.compile(r"https?://\S+")
_LEADING_HANDLES = re.compile(r"^(?:@\w+\s+)+")


def same_text(sent: str, on_x: str) -> bool:
    """Whether X's stored text is the text we sent: links compared as links (X wraps them
    in t.co), a reply's leading @handles and surrounding white space ignored."""

    def norm(text: str) -> str:
        return _LEADING_HANDLES.sub("", _URL.sub("<link>", text.strip())).strip()

    return norm(sent) == norm(on_x)


def parse_page(body: dict) -> Page:
    """A v2 answer with `data` (posts), `includes.users` and `meta`. "Not found" comes as
    HTTP 200 with an `errors` array beside or instead of `data`."""
    meta = body.get("meta") or {}
    data = body.get("data") or []
    return Page(
        data=list(data),
        user_data=list((body.get("includes") or {}).get("users") or []),
        newest_id=_int(meta.get("newest_id")),
        oldest_id=_int(meta.get("oldest_id")),
        next_token=meta.get("next_token"),
        result_count=int(meta.get("result_count", len(data))),
        errors=list(body.get("errors") or []),
    )


# --- Transport ------------------------------------------------------------------------


class _RewritingSession(requests.Session):
    """Sends tweepy's https://api.twitter.com requests to the configured base URL, with a
    timeout on every request."""

    def __init__(self, base_url: str, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        if isinstance(url, str) and url.startswith(X_HOST):
            url = self.base_url + url[len(X_HOST) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def _reset_at(response: requests.Response | None) -> datetime:
    now = datetime.now(UTC)
    header = response.headers.get("x-rate-limit-reset") if response is not None else None
    if not header:
        return now + timedelta(minutes=1)
    reset = datetime.fromtimestamp(int(header), UTC)
    return min(max(reset, now + timedelta(seconds=1)), now + MAX_RATE_LIMIT_WAIT)


def _x_time(moment: datetime) -> str:
    """X's start_time format: RFC 3339 in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(exc: tweepy.HTTPException) -> str:
    parts = [str(m) for m in (exc.api_messages or [])] or [str(exc)]
    return f"X answered {exc.response.status_code}: " + "; ".join(parts)[:500]


class XClient:
    """A client for one token: an app bearer token, or an OAuth 2.0 user access token."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        self.base_url = (base_url or settings.X_API_BASE_URL).rstrip("/")
        self._client = tweepy.Client(bearer_token=token, return_type=dict)
        self._client.session = _RewritingSession(self.base_url, timeout)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict:
        try:
            # user_auth=False: OAuth 2.0 user tokens travel as bearer tokens too.
            return getattr(self._client, method)(*args, user_auth=False, **kwargs)
        except tweepy.TooManyRequests as exc:
            raise RateLimited(_reset_at(exc.response), _message(exc)) from exc
        except tweepy.Unauthorized as exc:
            raise AuthRevoked(_message(exc)) from exc
        except tweepy.TwitterServerError as exc:
            raise Transient(_message(exc)) from exc
        except tweepy.HTTPException as exc:
            raise Permanent(_message(exc)) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"X did not answer: {exc.__class__.__name__}") from exc
        except requests.RequestException as exc:
            raise Transient(f"request to X failed: {exc}") from exc

    # Timelines, one page per call: the caller owns the cursor and commits per page.

    def mentions_page(
        self, user_id: int, *, since_id: int | None, pagination_token: str | None
    ) -> Page:
        return parse_page(
            self._call(
                "get_users_mentions",
                user_id,
                **self._timeline_params(since_id, pagination_token, TWEET_FIELDS),
            )
        )

    def list_tweets_page(
        self, list_id: int, *, pagination_token: str | None, max_results: int = 100
    ) -> Page:
        # List timelines take no since_id: the caller stops at its cursor instead, and
        # asks for small pages so that it reads few posts it already has (X bills each).
        params = self._timeline_params(None, pagination_token, TWEET_FIELDS)
        params["max_results"] = max(1, min(100, max_results))  # X's bounds for lists
        return parse_page(self._call("get_list_tweets", list_id, **params))

    def search_page(
        self,
        query: str,
        *,
        since_id: int | None,
        pagination_token: str | None,
        until_id: int | None = None,
    ) -> Page:
        params = self._timeline_params(since_id, pagination_token, TWEET_FIELDS)
        if until_id:
            params["until_id"] = until_id
        if pagination_token:
            # Recent search calls it next_token; tweepy passes what it is given.
            params["next_token"] = params.pop("pagination_token")
        return parse_page(self._call("search_recent_tweets", query, **params))

    def own_posts_page(
        self, user_id: int, *, since_id: int | None, pagination_token: str | None
    ) -> Page:
        params = self._timeline_params(since_id, pagination_token, OWN_TWEET_FIELDS)
        return parse_page(self._call("get_users_tweets", user_id, **params))

    @staticmethod
    def _timeline_params(
        since_id: int | None, pagination_token: str | None, tweet_fields: list[str]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet_fields": tweet_fields,
            "user_fields": USER_FIELDS,
            "expansions": EXPANSIONS,
        }
        if since_id:
            params["since_id"] = since_id
        if pagination_token:
            params["pagination_token"] = pagination_token
        return params

    # Users and lists

    def me(self) -> UserRecord:
        body = self._call("get_me", user_fields=USER_FIELDS)
        return parse_user(body["data"])

    def user_by_username(self, username: str) -> UserRecord | None:
        body = self._call("get_user", username=username, user_fields=USER_FIELDS)
        return parse_user(body["data"]) if body.get("data") else None

    def owned_lists(self, user_id: int) -> list[ListRecord]:
        lists: list[ListRecord] = []
        token = None
        while True:
            params: dict[str, Any] = {"max_results": 100, "list_fields": LIST_FIELDS}
            if token:
                params["pagination_token"] = token
            body = self._call("get_owned_lists", user_id, **params)
            lists += [parse_list(item) for item in body.get("data") or []]
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return lists

    # List membership (prospect lists mirror a private X list both ways)

    def list_members(self, list_id: int) -> list[UserRecord]:
        """Every member of a list, following next_token (5,000 at most: 50 pages). A 429
        half-way raises RateLimited: the caller keeps nothing of a partial read."""
        members: list[UserRecord] = []
        token = None
        while True:
            params: dict[str, Any] = {"max_results": 100, "user_fields": USER_FIELDS}
            if token:
                params["pagination_token"] = token
            body = self._call("get_list_members", list_id, **params)
            if body.get("errors") and not body.get("data") and not members:
                details = [str(e.get("detail") or e.get("title") or e) for e in body["errors"]]
                raise Permanent("X did not list the members: " + "; ".join(details)[:500])
            members += [parse_user(item) for item in body.get("data") or []]
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return members

    def add_list_member(self, list_id: int, user_id: int) -> bool:
        """Add a member; X answers is_member true whether or not they already were, so a
        retried add never adds twice."""
        body = self._call("add_list_member", list_id, user_id)
        return bool((body.get("data") or {}).get("is_member"))

    def remove_list_member(self, list_id: int, user_id: int) -> bool:
        """Remove a member (X answers the same when they were not one); is_member after."""
        body = self._call("remove_list_member", list_id, user_id)
        return bool((body.get("data") or {}).get("is_member"))

    def create_list(self, name: str, *, description: str = "", private: bool = True) -> ListRecord:
        body = self._call("create_list", name, description=description or None, private=private)
        data = body.get("data") or {}
        return parse_list({**data, "private": private, "description": description})

    # Writing

    def create_post(
        self, text: str, *, in_reply_to: int | None = None, quote_tweet_id: int | None = None
    ) -> int:
        body = self._call(
            "create_tweet",
            text=text,
            in_reply_to_tweet_id=in_reply_to,
            quote_tweet_id=quote_tweet_id,
        )
        return int(body["data"]["id"])

    def delete_post(self, post_id: int) -> None:
        self._call("delete_tweet", post_id)

    def repost(self, tweet_id: int) -> int | None:
        """Repost a post as the token's account; the repost's own id, or None when X's
        answer does not carry one. X keeps one repost per account and post: asking again
        reposts nothing. (tweepy first reads /2/users/me for the id in the path, once per
        client.)"""
        body = self._call("retweet", tweet_id)
        data = body.get("data") or {}
        if not data.get("retweeted"):
            # "Not found" and its kin come as HTTP 200 with errors and no repost.
            details = [
                str(e.get("detail") or e.get("title") or e) for e in body.get("errors") or []
            ]
            raise Permanent("X did not repost: " + ("; ".join(details) or "no reason given")[:500])
        # X's OpenAPI names the new id `id`; some answers have carried it as `rest_id`.
        repost_id = data.get("id") or data.get("rest_id")
        return _int(repost_id)

    def undo_repost(self, tweet_id: int) -> None:
        self._call("unretweet", tweet_id)

    def like(self, tweet_id: int) -> None:
        """Like a post as the token's account. X keeps one like per account and post:
        liking again (a retry) changes nothing. (tweepy first reads /2/users/me for the
        id in the path, once per client.)"""
        body = self._call("like", tweet_id)
        if not (body.get("data") or {}).get("liked"):
            details = [
                str(e.get("detail") or e.get("title") or e) for e in body.get("errors") or []
            ]
            raise Permanent("X did not like it: " + ("; ".join(details) or "no reason given")[:500])

    def unlike(self, tweet_id: int) -> None:
        self._call("unlike", tweet_id)

    def find_own_post(
        self,
        user_id: int,
        *,
        text: str,
        after: datetime,
        in_reply_to: int | None = None,
        quote_tweet_id: int | None = None,
    ) -> int | None:
        """The id of our post with this text (and reply or quote target) posted since
        `after` (less RECONCILE_MARGIN), or None: how a send claimed before a crash learns
        whether X took it. See the module docstring."""
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet_fields": ["created_at", "referenced_tweets"],
            "start_time": _x_time(after - RECONCILE_MARGIN),
        }
        token = None
        while True:
            if token:
                params["pagination_token"] = token
            body = self._call("get_users_tweets", user_id, **params)
            for item in body.get("data") or []:
                refs = {(r.get("type"), int(r["id"])) for r in item.get("referenced_tweets") or []}
                if in_reply_to and ("replied_to", in_reply_to) not in refs:
                    continue
                if quote_tweet_id and ("quoted", quote_tweet_id) not in refs:
                    continue
                if same_text(text, item.get("text", "")):
                    return int(item["id"])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None

    # Direct messages

    def dm_events_page(
        self,
        *,
        pagination_token: str | None,
        max_results: int = 100,
        dm_conversation_id: str | None = None,
        participant_id: int | None = None,
    ) -> DmPage:
        """One page of the account's DM events (sent and received, the last 30 days),
        newest first; or of one conversation, or of the one-to-one conversation with
        `participant_id`. Only messages: joins and leaves of groups are left out.
        X takes no since_id here: the caller stops at the newest event it has."""
        params: dict[str, Any] = {
            "max_results": max(1, min(100, max_results)),
            "dm_event_fields": DM_EVENT_FIELDS,
            "event_types": ["MessageCreate"],
            "expansions": DM_EXPANSIONS,
            "user_fields": USER_FIELDS,
        }
        if pagination_token:
            params["pagination_token"] = pagination_token
        if dm_conversation_id:
            params["dm_conversation_id"] = dm_conversation_id
        elif participant_id:
            params["participant_id"] = participant_id
        return parse_dm_page(self._call("get_direct_message_events", **params))

    def send_dm(
        self,
        text: str,
        *,
        participant_id: int | None = None,
        dm_conversation_id: str | None = None,
    ) -> DmSent:
        """Send a DM into a conversation, or to one person (X opens or reuses the
        one-to-one conversation). Not idempotent on X: see find_sent_dm."""
        if bool(participant_id) == bool(dm_conversation_id):
            raise ValueError("give participant_id or dm_conversation_id, not both")
        body = self._call(
            "create_direct_message",
            participant_id=participant_id,
            dm_conversation_id=dm_conversation_id,
            text=text,
        )
        data = body.get("data") or {}
        if not data.get("dm_event_id"):
            details = [
                str(e.get("detail") or e.get("title") or e) for e in body.get("errors") or []
            ]
            raise Permanent("X did not send it: " + ("; ".join(details) or "no reason given")[:500])
        return DmSent(int(data["dm_event_id"]), str(data.get("dm_conversation_id", "")))

    def find_sent_dm(
        self,
        *,
        sender_id: int,
        text: str,
        after: datetime,
        participant_id: int | None = None,
        dm_conversation_id: str | None = None,
    ) -> DmSent | None:
        """Our DM with this text in the conversation since `after` (less
        RECONCILE_MARGIN), or None: how a DM claimed before a crash learns whether X
        took it (see the module docstring)."""
        since = after - RECONCILE_MARGIN
        token = None
        while True:
            page = self.dm_events_page(
                pagination_token=token,
                dm_conversation_id=dm_conversation_id,
                participant_id=participant_id,
            )
            for event in page.events:
                if event.created_at is not None and event.created_at < since:
                    return None  # newest first: nothing older can be ours
                if event.sender_id == sender_id and same_text(text, event.text):
                    return DmSent(event.id, event.dm_conversation_id)
            token = page.next_token
            if not token:
                return None

    def iter_pages(self, fetch, **kwargs: Any) -> Iterator[Page]:
        """Follow next_token to the end (for one-off reads; ingestion commits per page)."""
        token = None
        while True:
            page = fetch(pagination_token=token, **kwargs)
            yield page
            token = page.next_token
            if not token:
                return


# --- OAuth 2.0 authorization code with PKCE ------------------------------------------


def oauth_authorize_url() -> str:
    if settings.X_OAUTH_AUTHORIZE_URL:
        return settings.X_OAUTH_AUTHORIZE_URL
    base = settings.X_API_BASE_URL.rstrip("/")
    if base == X_HOST:
        return "https://x.com/i/oauth2/authorize"
    return base + "/i/oauth2/authorize"


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_url(*, redirect_uri: str, state: str, challenge: str, scopes: list[str]) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.X_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{oauth_authorize_url()}?{query}"


def _token_request(data: dict[str, str]) -> TokenSet:
    auth = None
    if settings.X_CLIENT_SECRET:  # confidential clients authenticate; public ones do not
        auth = (settings.X_CLIENT_ID, settings.X_CLIENT_SECRET)
    else:
        data = {**data, "client_id": settings.X_CLIENT_ID}
    try:
        response = requests.post(
            settings.X_API_BASE_URL.rstrip("/") + "/2/oauth2/token",
            data=data,
            auth=auth,
            timeout=(5, 30),
        )
    except requests.RequestException as exc:
        raise Transient(f"X's token endpoint did not answer: {exc.__class__.__name__}") from exc
    if response.status_code >= 500:
        raise Transient(f"X's token endpoint answered {response.status_code}")
    body = response.json() if response.content else {}
    if response.status_code != 200:
        detail = body.get("error_description") or body.get("error") or response.text[:200]
        if response.status_code in (400, 401):
            raise AuthRevoked(f"X refused the token request: {detail}")
        raise Permanent(f"X's token endpoint answered {response.status_code}: {detail}")
    expires_in = body.get("expires_in")
    return TokenSet(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token", ""),
        expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None,
        scope=body.get("scope", ""),
    )


def exchange_code(*, code: str, verifier: str, redirect_uri: str) -> TokenSet:
    return _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    )


def refresh(*, refresh_token: str) -> TokenSet:
    return _token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})


# --- The client for one of our accounts -----------------------------------------------

REFRESH_AHEAD = timedelta(minutes=10)
T = TypeVar("T")


def account_token(*, account: XAccount, refused: str = "") -> str:
    """The account's access token, refreshed first when it is about to expire — or when
    X just refused `refused` (clocks differ; X may end a token early). Two workers must
    not both refresh: X rotates the refresh token, so the loser's would be dead. The row
    lock makes the second one read the first one's new token."""
    if account.auth == XAccount.Auth.APP or not account.refresh_token:
        return account.access_token
    fresh_enough = timezone.now() + REFRESH_AHEAD
    if not refused and account.token_expires_at and account.token_expires_at > fresh_enough:
        return account.access_token
    with transaction.atomic():
        locked = XAccount.objects.select_for_update().get(pk=account.pk)
        if refused and locked.access_token != refused:
            return locked.access_token  # another worker refreshed it meanwhile
        if not refused and locked.token_expires_at and locked.token_expires_at > fresh_enough:
            return locked.access_token
        tokens = refresh(refresh_token=locked.refresh_token)
        locked.access_token = tokens.access_token
        locked.refresh_token = tokens.refresh_token or locked.refresh_token
        locked.token_expires_at = tokens.expires_at
        locked.status = XAccount.Status.OK
        locked.save(update_fields=["access_token", "refresh_token", "token_expires_at", "status"])
        return locked.access_token


def client_for(account: XAccount) -> XClient:
    """A client with the account's token (refreshed first when it is about to expire)."""
    return XClient(token=account_token(account=account))


def with_fresh_token(account: XAccount, call: Callable[[XClient], T]) -> T:
    """`call(client)` with a client for the account. When X refuses the token (a 401)
    and the account can refresh it, the token is refreshed once and `call` runs again
    with a client for the new one (the account re-read): X may end a token before its
    time. A second refusal, or one for an account that cannot refresh, is raised: the
    caller marks the account as needing reconnection. `call` must be safe to run again
    after a refusal (X took nothing on a 401)."""
    try:
        return call(client_for(account))
    except AuthRevoked:
        if account.auth != XAccount.Auth.USER or not account.refresh_token:
            raise
        account_token(account=account, refused=account.access_token)
        account.refresh_from_db()
        return call(client_for(account))
