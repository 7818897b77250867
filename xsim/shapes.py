"""X's wire format: fields, expansions, ``includes``, metrics, and the error shapes.

Default fields are X's: posts ``id``, ``text``, ``edit_history_tweet_ids``; users ``id``,
``name``, ``username``; lists ``id``, ``name``; DM events ``id``, ``event_type``,
``text``. Arrays X declares with ``minItems: 1`` (``data``, ``includes.users``,
``errors``) are left out rather than sent empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from xsim.auth import Principal
from xsim.clock import DAY, HOUR, iso
from xsim.model import MENTION_RE, DmEvent, Tweet, User, XList
from xsim.world import Window, World

PRIVATE_METRICS = ("non_public_metrics", "organic_metrics", "promoted_metrics")
PRIVATE_METRICS_MAX_AGE = 30 * DAY

_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_CASHTAG_RE = re.compile(r"(?<![\w$])\$([A-Za-z]{1,6})\b")

# --- errors -------------------------------------------------------------------------------

PROBLEM_BASE = "https://api.twitter.com/2/problems/"


class ApiError(Exception):
    """An error answer: status, JSON body and (for 429) extra headers."""

    def __init__(
        self, status: int, body: dict[str, object], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(body.get("detail") or body.get("title"))
        self.status, self.body, self.headers = status, body, headers or {}


def invalid_request(parameter: str, values: list[str], message: str) -> ApiError:
    return ApiError(
        400,
        {
            "errors": [{"parameters": {parameter: values}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": PROBLEM_BASE + "invalid-request",
        },
    )


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> ApiError:
    type_ = kind if kind == "about:blank" else PROBLEM_BASE + kind
    return ApiError(status, {"title": title, "detail": detail, "type": type_, "status": status})


def unauthorized() -> ApiError:
    return problem(401, "Unauthorized", "Unauthorized")


def unsupported_authentication() -> ApiError:
    return problem(
        403,
        "Unsupported Authentication",
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
        "unsupported-authentication",
    )


def forbidden(detail: str) -> ApiError:
    return problem(403, "Forbidden", detail)


def too_many_requests() -> ApiError:
    return problem(429, "Too Many Requests", "Too Many Requests")


def not_found(resource_type: str, parameter: str, value: str, detail: str) -> dict[str, object]:
    return {
        "value": value,
        "detail": detail,
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": PROBLEM_BASE + "resource-not-found",
    }


def not_authorized(
    resource_type: str, parameter: str, value: str, detail: str, section: str = "data"
) -> dict[str, object]:
    return {
        "value": value,
        "detail": detail,
        "title": "Authorization Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "section": section,
        "type": PROBLEM_BASE + "not-authorized-for-resource",
    }


def field_unauthorized(
    resource_type: str, field_name: str, parameter: str, value: str, section: str
) -> dict[str, object]:
    return {
        "value": value,
        "detail": f"Sorry, you are not authorized to access '{field_name}' on the "
        f"{resource_type.title()} with {parameter}: [{value}].",
        "title": "Field Authorization Error",
        "resource_type": resource_type,
        "field": field_name,
        "parameter": parameter,
        "resource_id": value,
        "section": section,
        "type": PROBLEM_BASE + "not-authorized-for-field",
    }


# --- metrics ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Engagement:
    impressions: int
    likes: int
    retweets: int
    replies: int
    quotes: int
    bookmarks: int
    link_clicks: int
    profile_clicks: int

    @property
    def engagements(self) -> int:
        return (
            self.likes
            + self.retweets
            + self.replies
            + self.quotes
            + self.bookmarks
            + self.link_clicks
            + self.profile_clicks
        )


def engagement(tweet: Tweet, now: float) -> Engagement:
    """Metrics that only grow: most reach in the first hours, then a slow tail."""
    age = max(0.0, now - tweet.created_at)
    tau = 8 * HOUR if tweet.kind == "own" or tweet.origin == "posted" else 4 * HOUR
    share = (1 - math.exp(-age / tau)) * (1 + 0.08 * math.log1p(age / DAY))
    impressions = int(tweet.reach * share)
    likes = int(impressions * tweet.engage)
    retweets = int(likes * 0.18)
    return Engagement(
        impressions=impressions,
        likes=likes,
        retweets=retweets,
        replies=int(likes * 0.12),
        quotes=int(retweets * 0.1),
        bookmarks=int(likes * 0.08),
        link_clicks=int(impressions * tweet.ctr),
        profile_clicks=int(impressions * 0.004),
    )


# --- rendering ----------------------------------------------------------------------------


@dataclass
class Renderer:
    """Renders one answer: objects with the requested fields, plus includes and errors."""

    world: World
    principal: Principal
    now: float
    tweet_fields: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    list_fields: frozenset[str] = frozenset()
    dm_fields: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()
    include_users: dict[int, dict[str, object]] = field(default_factory=dict)
    include_tweets: dict[int, dict[str, object]] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)
    posts_read: list[int] = field(default_factory=list)
    users_read: list[int] = field(default_factory=list)
    dm_events_read: list[int] = field(default_factory=list)

    # posts

    def private_metrics_allowed(self, tweet: Tweet) -> bool:
        return (
            self.principal.is_user
            and tweet.author_id == self.principal.user_id
            and self.now - tweet.created_at <= PRIVATE_METRICS_MAX_AGE
        )

    def tweet(
        self, tweet: Tweet, *, section: str = "data", parameter: str = "id"
    ) -> dict[str, object] | None:
        """The post with the requested fields, or None (with an error) when a private
        metric was asked for a post that is not the caller's own, or is older than 30
        days: X leaves such posts out."""
        wanted_private = [f for f in PRIVATE_METRICS if f in self.tweet_fields]
        if wanted_private and not self.private_metrics_allowed(tweet):
            for name in wanted_private:
                self.errors.append(
                    field_unauthorized("tweet", name, parameter, str(tweet.id), section)
                )
            return None
        f = self.tweet_fields
        obj: dict[str, object] = {
            "id": str(tweet.id),
            "text": tweet.text,
            "edit_history_tweet_ids": [str(tweet.id)],
        }
        if "created_at" in f:
            obj["created_at"] = iso(tweet.created_at)
        if "author_id" in f:
            obj["author_id"] = str(tweet.author_id)
        if "conversation_id" in f:
            obj["conversation_id"] = str(tweet.conversation_id)
        if "in_reply_to_user_id" in f and tweet.in_reply_to_user_id is not None:
            obj["in_reply_to_user_id"] = str(tweet.in_reply_to_user_id)
        if "referenced_tweets" in f and tweet.referenced:
            obj["referenced_tweets"] = [{"type": k, "id": str(i)} for k, i in tweet.referenced]
        if "entities" in f:
            entities = self.entities(tweet)
            if entities:
                obj["entities"] = entities
        if "lang" in f:
            obj["lang"] = tweet.lang
        if "possibly_sensitive" in f:
            obj["possibly_sensitive"] = tweet.possibly_sensitive
        if "source" in f:
            obj["source"] = tweet.source
        if "reply_settings" in f:
            obj["reply_settings"] = "everyone"
        if "edit_controls" in f:
            obj["edit_controls"] = {
                "edits_remaining": 5,
                "is_edit_eligible": not tweet.is_retweet,
                "editable_until": iso(tweet.created_at + HOUR),
            }
        if f & {"public_metrics", *PRIVATE_METRICS}:
            m = engagement(tweet, self.now)
            if "public_metrics" in f:
                obj["public_metrics"] = {
                    "retweet_count": m.retweets,
                    "reply_count": m.replies,
                    "like_count": m.likes,
                    "quote_count": m.quotes,
                    "bookmark_count": m.bookmarks,
                    "impression_count": m.impressions,
                }
            links = {"url_link_clicks": m.link_clicks} if tweet.urls else {}
            if "non_public_metrics" in f:
                obj["non_public_metrics"] = {
                    "impression_count": m.impressions,
                    **links,
                    "user_profile_clicks": m.profile_clicks,
                    "engagements": m.engagements,
                }
            if "organic_metrics" in f:
                obj["organic_metrics"] = {
                    "impression_count": m.impressions,
                    "like_count": m.likes,
                    "reply_count": m.replies,
                    "retweet_count": m.retweets,
                    **links,
                    "user_profile_clicks": m.profile_clicks,
                }
            if "promoted_metrics" in f:
                # Nothing in the simulated world is promoted.
                obj["promoted_metrics"] = {
                    "impression_count": 0,
                    "like_count": 0,
                    "reply_count": 0,
                    "retweet_count": 0,
                }
        self.posts_read.append(tweet.id)
        return obj

    def entities(self, tweet: Tweet) -> dict[str, object]:
        text = tweet.text
        result: dict[str, object] = {}
        mentions = []
        for m in MENTION_RE.finditer(text):
            user = self.world.user_by_username(m.group(1))
            if user is not None:
                mentions.append(
                    {
                        "start": m.start(),
                        "end": m.end(),
                        "username": user.username,
                        "id": str(user.id),
                    }
                )
        urls = []
        for tco, expanded in tweet.urls:
            start = text.find(tco)
            if start < 0:
                continue
            bare = expanded.split("://", 1)[-1]
            urls.append(
                {
                    "start": start,
                    "end": start + len(tco),
                    "url": tco,
                    "expanded_url": expanded,
                    "display_url": bare if len(bare) <= 26 else bare[:26] + "…",
                }
            )
        hashtags = [
            {"start": m.start(), "end": m.end(), "tag": m.group(1)}
            for m in _HASHTAG_RE.finditer(text)
        ]
        cashtags = [
            {"start": m.start(), "end": m.end(), "tag": m.group(1)}
            for m in _CASHTAG_RE.finditer(text)
        ]
        for key, value in (
            ("mentions", mentions),
            ("urls", urls),
            ("hashtags", hashtags),
            ("cashtags", cashtags),
        ):
            if value:
                result[key] = value
        return result

    def expand_tweet(self, tweet: Tweet) -> None:
        e = self.expansions
        if not e:
            return
        if "author_id" in e:
            self.include_user(tweet.author_id)
        if "in_reply_to_user_id" in e and tweet.in_reply_to_user_id is not None:
            self.include_user(tweet.in_reply_to_user_id)
        if "entities.mentions.username" in e:
            for m in MENTION_RE.finditer(tweet.text):
                user = self.world.user_by_username(m.group(1))
                if user is not None:
                    self.include_user(user.id)
        if "referenced_tweets.id" in e or "referenced_tweets.id.author_id" in e:
            for _, ref_id in tweet.referenced:
                ref = self.world.tweet(ref_id)
                if ref is None:
                    continue
                if "referenced_tweets.id" in e and ref_id not in self.include_tweets:
                    obj = self.tweet(ref, section="includes", parameter="referenced_tweets.id")
                    if obj is not None:
                        self.include_tweets[ref_id] = obj
                if "referenced_tweets.id.author_id" in e:
                    self.include_user(ref.author_id)

    # users

    def user(self, user: User) -> dict[str, object]:
        f = self.user_fields
        obj: dict[str, object] = {"id": str(user.id), "name": user.name, "username": user.username}
        if "created_at" in f:
            obj["created_at"] = iso(user.created_at)
        if "description" in f:
            obj["description"] = user.description
        if "location" in f and user.location:
            obj["location"] = user.location
        if "url" in f:
            obj["url"] = user.url
        if "protected" in f:
            obj["protected"] = user.protected
        if "verified" in f:
            obj["verified"] = user.verified
        if "verified_type" in f:
            obj["verified_type"] = user.verified_type
        if "profile_image_url" in f:
            obj["profile_image_url"] = (
                f"https://pbs.twimg.com/profile_images/{user.id}/{user.image_key}_normal.jpg"
            )
        if "public_metrics" in f:
            obj["public_metrics"] = {
                "followers_count": user.followers_count,
                "following_count": user.following_count,
                "tweet_count": user.tweet_count,
                "listed_count": user.listed_count,
                "like_count": user.like_count,
            }
        if "most_recent_tweet_id" in f:
            newest = self.most_recent_tweet(user)
            if newest is not None:
                obj["most_recent_tweet_id"] = str(newest)
        if user.withheld_in:
            obj["withheld"] = {"country_codes": list(user.withheld_in)}
        if "receives_your_dm" in f:
            obj["receives_your_dm"] = user.role in ("company", "support", "customer")
        self.users_read.append(user.id)
        return obj

    def most_recent_tweet(self, user: User) -> int | None:
        page = self.world.page(self.world.author_lists([user.id]), _ALL, 1)
        return page.ids[0] if page.ids else None

    def include_user(self, user_id: int) -> None:
        if user_id in self.include_users:
            return
        user = self.world.users.get(user_id)
        if user is not None:
            self.include_users[user_id] = self.user(user)

    def expand_user(self, user: User) -> None:
        if "most_recent_tweet_id" in self.expansions:
            newest = self.most_recent_tweet(user)
            tweet = self.world.tweet(newest) if newest else None
            if tweet is not None and tweet.id not in self.include_tweets:
                obj = self.tweet(tweet, section="includes", parameter="most_recent_tweet_id")
                if obj is not None:
                    self.include_tweets[tweet.id] = obj

    # lists

    def xlist(self, xlist: XList) -> dict[str, object]:
        f = self.list_fields
        obj: dict[str, object] = {"id": str(xlist.id), "name": xlist.name}
        if "created_at" in f:
            obj["created_at"] = iso(xlist.created_at)
        if "description" in f:
            obj["description"] = xlist.description
        if "follower_count" in f:
            obj["follower_count"] = xlist.follower_count
        if "member_count" in f:
            obj["member_count"] = len(xlist.member_ids)
        if "owner_id" in f:
            obj["owner_id"] = str(xlist.owner_id)
        if "private" in f:
            obj["private"] = xlist.private
        if "owner_id" in self.expansions:
            self.include_user(xlist.owner_id)
        return obj

    # DM events

    def dm(self, event: DmEvent) -> dict[str, object]:
        f = self.dm_fields
        obj: dict[str, object] = {"id": str(event.id), "event_type": event.event_type}
        self.dm_events_read.append(event.id)
        if event.event_type == "MessageCreate":
            obj["text"] = event.text
        if "created_at" in f:
            obj["created_at"] = iso(event.created_at)
        if "sender_id" in f:
            obj["sender_id"] = str(event.sender_id)
        if "dm_conversation_id" in f:
            obj["dm_conversation_id"] = event.conversation_id
        if "participant_ids" in f and event.event_type != "MessageCreate":
            obj["participant_ids"] = [str(p) for p in event.participant_ids]
        if "referenced_tweets" in f and event.referenced_tweet_ids:
            obj["referenced_tweets"] = [{"id": str(i)} for i in event.referenced_tweet_ids]
        e = self.expansions
        if "sender_id" in e:
            self.include_user(event.sender_id)
        if "participant_ids" in e:
            for p in event.participant_ids:
                self.include_user(p)
        if "referenced_tweets.id" in e:
            for ref_id in event.referenced_tweet_ids:
                ref = self.world.tweet(ref_id)
                if ref is not None and ref_id not in self.include_tweets:
                    obj_ref = self.tweet(ref, section="includes", parameter="referenced_tweets.id")
                    if obj_ref is not None:
                        self.include_tweets[ref_id] = obj_ref
        return obj

    # the answer

    def body(
        self,
        data: object = None,
        meta: dict[str, object] | None = None,
        extra_errors: list[dict[str, object]] | None = None,
    ) -> dict[str, object]:
        body: dict[str, object] = {}
        if data is not None and data != []:
            body["data"] = data
        includes: dict[str, object] = {}
        if self.include_users:
            includes["users"] = list(self.include_users.values())
        if self.include_tweets:
            includes["tweets"] = list(self.include_tweets.values())
        if includes:
            body["includes"] = includes
        errors = [*self.errors, *(extra_errors or [])]
        if errors:
            body["errors"] = errors
        if meta is not None:
            body["meta"] = meta
        return body


_ALL = Window()
