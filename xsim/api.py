"""The X API v2 endpoints the simulator serves, with X's parameters, limits and quirks.

Each :class:`Route` names its rate limits (app-only / user context, per 15 minutes; no
app number means user context only, which X refuses app tokens for with 403), the
query parameters it accepts (X answers 400 for any other) and the OAuth 2.0 scopes a
user token needs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xsim.auth import Principal
from xsim.clock import id_floor, iso, parse_iso
from xsim.model import Tweet, User, XList
from xsim.query import QueryError, compile_query
from xsim.shapes import (
    DM_EVENT_FIELDS,
    DM_EXPANSIONS,
    LIST_EXPANSIONS,
    LIST_FIELDS,
    MEDIA_FIELDS,
    PLACE_FIELDS,
    POLL_FIELDS,
    PRIVATE_METRICS,
    TWEET_EXPANSIONS,
    TWEET_FIELDS,
    USER_EXPANSIONS,
    USER_FIELDS,
    Renderer,
    forbidden,
    invalid_request,
    not_authorized,
    not_found,
    problem,
    unsupported_authentication,
)
from xsim.store import INF_ID
from xsim.world import DAY, Page, Window, World, conversation_id

TWEET_PARAMS = frozenset(
    {"tweet.fields", "expansions", "media.fields", "poll.fields", "user.fields", "place.fields"}
)
USER_PARAMS = frozenset({"user.fields", "expansions", "tweet.fields"})
LIST_PARAMS = frozenset({"list.fields", "expansions", "user.fields"})
DM_PARAMS = frozenset(
    {"dm_event.fields", "expansions", "media.fields", "user.fields", "tweet.fields", "event_types"}
)
TIMELINE_PARAMS = frozenset(
    {"since_id", "until_id", "max_results", "pagination_token", "start_time", "end_time"}
)
DM_EVENT_TYPES = ("MessageCreate", "ParticipantsJoin", "ParticipantsLeave")

ID_RE = re.compile(r"^[0-9]{1,19}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
CONVERSATION_RE = re.compile(r"^([0-9]{1,19}-[0-9]{1,19}|[0-9]{15,19})$")
URL_RE = re.compile(r"https?://\S+")

MENTIONS_REACH = 800  # the mentions timeline only reaches back this many posts
USER_TWEETS_REACH = 3200
LIST_TWEETS_REACH = 800
HOME_REACH = 800
SEARCH_WINDOW = 7 * DAY
MAX_TWEET_LENGTH = 280
TCO_LENGTH = 23  # X counts every link as 23 characters


@dataclass
class Ctx:
    """One request as a handler sees it."""

    world: World
    principal: Principal
    now: float
    method: str
    path_params: dict[str, str]
    query: dict[str, str]
    body: bytes
    token_secret: str
    mentions_reach: int = MENTIONS_REACH
    renderer: Renderer | None = None
    owned: bool = False  # the answer reads the caller's own resources (X prices those lower)

    @property
    def me(self) -> User:
        assert self.principal.user_id is not None
        return self.world.users[self.principal.user_id]

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"null")
        except ValueError as exc:
            raise problem(
                400, "Invalid Request", f"Request body is not valid JSON: {exc}", "invalid-request"
            ) from exc
        if not isinstance(value, dict):
            raise problem(
                400, "Invalid Request", "Request body must be a JSON object.", "invalid-request"
            )
        return value


Handler = Callable[[Ctx], tuple[int, dict[str, object]]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    app_limit: int | None
    user_limit: int
    params: frozenset[str] = frozenset()
    scopes: tuple[str, ...] = ("tweet.read", "users.read")
    app_only: bool = False
    regex: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        source = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", self.pattern)
        object.__setattr__(self, "regex", re.compile(f"^{source}$"))

    @property
    def name(self) -> str:
        return f"{self.method} {self.pattern}"


# --- parameters ---------------------------------------------------------------------------


def _list_values(ctx: Ctx, name: str) -> list[str] | None:
    raw = ctx.query.get(name)
    if raw is None:
        return None
    return raw.split(",") if raw else [""]


def _choices(ctx: Ctx, name: str, allowed: frozenset[str]) -> frozenset[str]:
    values = _list_values(ctx, name)
    if values is None:
        return frozenset()
    bad = [v for v in values if v not in allowed]
    if bad:
        raise invalid_request(
            name,
            bad,
            f"The `{name}` query parameter value [{bad[0]}] is not one of "
            f"[{','.join(sorted(allowed))}]",
        )
    return frozenset(values)


def renderer(ctx: Ctx, expansions: frozenset[str] = frozenset()) -> Renderer:
    """The renderer for this request, its field and expansion parameters validated."""
    for name, allowed in (
        ("media.fields", MEDIA_FIELDS),
        ("poll.fields", POLL_FIELDS),
        ("place.fields", PLACE_FIELDS),
    ):
        _choices(ctx, name, allowed)
    r = Renderer(
        world=ctx.world,
        principal=ctx.principal,
        now=ctx.now,
        tweet_fields=_choices(ctx, "tweet.fields", TWEET_FIELDS),
        user_fields=_choices(ctx, "user.fields", USER_FIELDS),
        list_fields=_choices(ctx, "list.fields", LIST_FIELDS),
        dm_fields=_choices(ctx, "dm_event.fields", DM_EVENT_FIELDS),
        expansions=_choices(ctx, "expansions", expansions),
    )
    if r.tweet_fields & set(PRIVATE_METRICS) and not ctx.principal.is_user:
        # Private metrics exist only in a user context; X refuses app-only tokens outright.
        raise unsupported_authentication()
    ctx.renderer = r
    return r


def max_results(ctx: Ctx, low: int, high: int, default: int) -> int:
    raw = ctx.query.get("max_results")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise invalid_request(
            "max_results",
            [raw],
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
        )
    return value


def path_id(ctx: Ctx, name: str = "id") -> int:
    raw = ctx.path_params[name]
    if not ID_RE.match(raw):
        raise invalid_request(
            name,
            [raw],
            f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$",
        )
    return int(raw)


def query_id(ctx: Ctx, name: str) -> int | None:
    raw = ctx.query.get(name)
    if raw is None:
        return None
    if not ID_RE.match(raw):
        raise invalid_request(
            name,
            [raw],
            f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$",
        )
    return int(raw)


def query_time(ctx: Ctx, name: str) -> float | None:
    raw = ctx.query.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise invalid_request(
            name, [raw], f"The `{name}` query parameter value [{raw}] is not a valid date-time"
        ) from None


def time_window(ctx: Ctx) -> Window:
    """since_id / until_id, or start_time / end_time (the ids win when both are given)."""
    lo, hi = 0, INF_ID
    since_id, until_id = query_id(ctx, "since_id"), query_id(ctx, "until_id")
    start, end = query_time(ctx, "start_time"), query_time(ctx, "end_time")
    if since_id is not None:
        lo = since_id
    elif start is not None:
        lo = id_floor(start) - 1
    if until_id is not None:
        hi = until_id
    elif end is not None:
        hi = id_floor(end)
    if start is not None and end is not None and start >= end:
        raise invalid_request(
            "start_time",
            [ctx.query["start_time"]],
            f"Invalid 'start_time':'{ctx.query['start_time']}'. "
            "'start_time' must be before 'end_time'",
        )
    return Window(lo, hi)


_TOKEN_KINDS = "nop"  # n: older than, p: newer than, o: offset


def encode_token(secret: str, kind: str, value: int) -> str:
    payload = f"{kind}{_base36(value):0>14}"
    check = hashlib.sha256(f"{secret}:{payload}".encode()).hexdigest()[:6]
    return payload + check


def decode_token(ctx: Ctx, name: str, kinds: str) -> tuple[str, int] | None:
    raw = ctx.query.get(name)
    if raw is None:
        return None
    kind, body, check = raw[:1], raw[1:-6], raw[-6:]
    ok = (
        len(raw) > 7
        and kind in kinds
        and re.fullmatch(r"[0-9a-z]+", body or "-") is not None
        and hashlib.sha256(f"{ctx.token_secret}:{kind}{body}".encode()).hexdigest()[:6] == check
    )
    if not ok:
        raise invalid_request(
            name, [raw], f"The `{name}` query parameter value [{raw}] is not a valid token"
        )
    return kind, int(body, 36)


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, r = divmod(value, 36)
        out = digits[r] + out
        if value == 0:
            return out


# --- shared answers -----------------------------------------------------------------------


def user_or_error(ctx: Ctx, user_id: int, parameter: str = "id") -> User:
    user = ctx.world.users.get(user_id)
    if user is None:
        raise _NotFound(
            not_found(
                "user",
                parameter,
                str(user_id),
                f"Could not find user with {parameter}: [{user_id}].",
            )
        )
    return user


class _NotFound(Exception):
    """X's "not found": HTTP 200 with only an ``errors`` array."""

    def __init__(self, error: dict[str, object]) -> None:
        super().__init__(error["detail"])
        self.error = error


def list_or_error(ctx: Ctx) -> XList:
    list_id = path_id(ctx)
    xlist = ctx.world.lists.get(list_id)
    if xlist is None:
        raise _NotFound(
            not_found("list", "id", str(list_id), f"Could not find list with id: [{list_id}].")
        )
    if xlist.private and ctx.principal.user_id != xlist.owner_id:
        raise _NotFound(
            not_authorized(
                "list", "id", str(list_id), f"You cannot view the List with id: [{list_id}]."
            )
        )
    return xlist


def timeline_page(
    ctx: Ctx,
    lists: list[list[int]],
    *,
    limit: int,
    reach: int | None = None,
    floor: int = 0,
    accept: Callable[[Tweet], bool] | None = None,
    token_param: str = "pagination_token",
    with_ids: bool = True,
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """One page of a post timeline, newest first, and X's ``meta`` for it.

    1. The window is since_id/until_id (or start/end time), narrowed to what the
       timeline reaches (``reach`` newest posts, or the ``floor`` id for recent search).
    2. A next_token continues below the page's oldest id; a previous_token above its
       newest. A client that keeps since_id while following next_token, then polls with
       the first page's newest_id, sees every post exactly once, however many arrive.
    """
    world = ctx.world
    window = time_window(ctx).narrow(lo=floor)
    if reach is not None:
        window = window.narrow(lo=world.reach_floor(lists, reach, accept))
    token = decode_token(ctx, token_param, "np")
    if token is None or token[0] == "n":
        page = world.page(
            lists, window.narrow(hi=token[1]) if token else window, limit, accept=accept
        )
    else:
        page = world.page(lists, window.narrow(lo=token[1]), limit, newer=True, accept=accept)
        if page.ids:
            older = world.page(lists, window.narrow(hi=page.ids[-1]), 1, accept=accept)
            page = Page(page.ids, bool(older.ids), page.more_newer)
    r = ctx.renderer or renderer(ctx, TWEET_EXPANSIONS)
    data = render_tweets(ctx, r, page.ids)
    meta: dict[str, object] = {}
    if with_ids and page.ids:
        meta["newest_id"] = str(page.ids[0])
        meta["oldest_id"] = str(page.ids[-1])
    meta["result_count"] = len(data)
    if page.ids and page.more_older:
        meta["next_token"] = encode_token(ctx.token_secret, "n", page.ids[-1])
    if page.ids and token is not None:
        meta["previous_token"] = encode_token(ctx.token_secret, "p", page.ids[0])
    return data, meta


def render_tweets(
    ctx: Ctx, r: Renderer, ids: list[int], parameter: str = "id"
) -> list[dict[str, object]]:
    data = []
    for tweet_id in ids:
        tweet = ctx.world.tweets[tweet_id]
        obj = r.tweet(tweet, parameter=parameter)
        if obj is not None:
            data.append(obj)
            r.expand_tweet(tweet)
    return data


def offset_page(ctx: Ctx, total: int, limit: int) -> tuple[int, int, dict[str, object]]:
    token = decode_token(ctx, "pagination_token", "o")
    offset = token[1] if token else 0
    end = min(total, offset + limit)
    meta: dict[str, object] = {"result_count": max(0, end - offset)}
    if end < total:
        meta["next_token"] = encode_token(ctx.token_secret, "o", end)
    if offset > 0:
        meta["previous_token"] = encode_token(ctx.token_secret, "o", max(0, offset - limit))
    return offset, end, meta


# --- users --------------------------------------------------------------------------------


def users_me(ctx: Ctx) -> tuple[int, dict[str, object]]:
    r = renderer(ctx, USER_EXPANSIONS)
    ctx.owned = True
    data = r.user(ctx.me)
    r.expand_user(ctx.me)
    return 200, r.body(data)


def users_by_username(ctx: Ctx) -> tuple[int, dict[str, object]]:
    username = ctx.path_params["username"]
    if not USERNAME_RE.match(username):
        raise invalid_request(
            "username",
            [username],
            f"The `username` query parameter value [{username}] does not match "
            "^[A-Za-z0-9_]{1,15}$",
        )
    r = renderer(ctx, USER_EXPANSIONS)
    user = ctx.world.user_by_username(username)
    if user is None:
        return 200, r.body(
            extra_errors=[
                not_found(
                    "user",
                    "username",
                    username,
                    f"Could not find user with username: [{username}].",
                )
            ]
        )
    data = r.user(user)
    r.expand_user(user)
    return 200, r.body(data)


def users_by(ctx: Ctx) -> tuple[int, dict[str, object]]:
    names = _list_values(ctx, "usernames") or []
    if not names or len(names) > 100 or any(not USERNAME_RE.match(n) for n in names):
        raise invalid_request(
            "usernames",
            names,
            "The `usernames` query parameter value must be 1 to 100 usernames matching "
            "^[A-Za-z0-9_]{1,15}$",
        )
    r = renderer(ctx, USER_EXPANSIONS)
    data, errors = [], []
    for name in names:
        user = ctx.world.user_by_username(name)
        if user is None:
            errors.append(
                not_found(
                    "user", "usernames", name, f"Could not find user with usernames: [{name}]."
                )
            )
        else:
            data.append(r.user(user))
            r.expand_user(user)
    return 200, r.body(data, extra_errors=errors)


def users_by_id(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    r = renderer(ctx, USER_EXPANSIONS)
    user = ctx.world.users.get(user_id)
    if user is None:
        return 200, r.body(
            extra_errors=[
                not_found("user", "id", str(user_id), f"Could not find user with id: [{user_id}].")
            ]
        )
    data = r.user(user)
    r.expand_user(user)
    return 200, r.body(data)


def users_by_ids(ctx: Ctx) -> tuple[int, dict[str, object]]:
    ids = _list_values(ctx, "ids") or []
    if not ids or len(ids) > 100 or any(not ID_RE.match(i) for i in ids):
        raise invalid_request("ids", ids, "The `ids` query parameter value must be 1 to 100 ids")
    r = renderer(ctx, USER_EXPANSIONS)
    data, errors = [], []
    for raw in ids:
        user = ctx.world.users.get(int(raw))
        if user is None:
            errors.append(not_found("user", "ids", raw, f"Could not find user with ids: [{raw}]."))
        else:
            data.append(r.user(user))
            r.expand_user(user)
    return 200, r.body(data, extra_errors=errors)


def users_mentions(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 5, 100, 10)
    renderer(ctx, TWEET_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    ctx.owned = ctx.principal.user_id == user.id
    lists = ctx.world.mention_lists(user.id)
    data, meta = timeline_page(ctx, lists, limit=limit, reach=ctx.mentions_reach)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


def users_tweets(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 5, 100, 10)
    exclude = _choices(ctx, "exclude", frozenset({"retweets", "replies"}))
    renderer(ctx, TWEET_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    ctx.owned = ctx.principal.user_id == user.id
    accept = None
    if exclude:

        def accept(t: Tweet) -> bool:
            return not (
                ("retweets" in exclude and t.is_retweet) or ("replies" in exclude and t.is_reply)
            )

    lists = ctx.world.author_lists([user.id])
    data, meta = timeline_page(ctx, lists, limit=limit, reach=USER_TWEETS_REACH, accept=accept)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


def users_owned_lists(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 1, 100, 100)
    r = renderer(ctx, LIST_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    # Private lists exist only for their owner; everyone else never learns of them.
    visible = [
        xl
        for xl in ctx.world.owned_lists(user.id)
        if not xl.private or ctx.principal.user_id == user.id
    ]
    start, end, meta = offset_page(ctx, len(visible), limit)
    data = [r.xlist(xl) for xl in visible[start:end]]
    return 200, r.body(data, meta)


def users_followers(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 1, 1000, 100)
    r = renderer(ctx, USER_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    followers = ctx.world.followers(user.id)
    start, end, meta = offset_page(ctx, len(followers), limit)
    data = []
    for uid in followers[start:end]:
        follower = ctx.world.users[uid]
        data.append(r.user(follower))
        r.expand_user(follower)
    meta.pop("previous_token", None)
    return 200, r.body(data, meta)


def users_home_timeline(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 1, 100, 100)
    renderer(ctx, TWEET_EXPANSIONS)
    if user_id != ctx.principal.user_id:
        raise forbidden("You can only request the home timeline of the authenticated user.")
    ctx.owned = True
    authors = ctx.world.following(user_id) | {user_id}
    lists = ctx.world.author_lists(authors)
    data, meta = timeline_page(ctx, lists, limit=limit, reach=HOME_REACH)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


# --- lists --------------------------------------------------------------------------------


def lists_by_id(ctx: Ctx) -> tuple[int, dict[str, object]]:
    r = renderer(ctx, LIST_EXPANSIONS)
    xlist = list_or_error(ctx)
    return 200, r.body(r.xlist(xlist))


def lists_members(ctx: Ctx) -> tuple[int, dict[str, object]]:
    limit = max_results(ctx, 1, 100, 100)
    r = renderer(ctx, USER_EXPANSIONS)
    xlist = list_or_error(ctx)
    start, end, meta = offset_page(ctx, len(xlist.member_ids), limit)
    data = []
    for uid in xlist.member_ids[start:end]:
        member = ctx.world.users[uid]
        data.append(r.user(member))
        r.expand_user(member)
    return 200, r.body(data, meta)


def lists_tweets(ctx: Ctx) -> tuple[int, dict[str, object]]:
    limit = max_results(ctx, 1, 100, 100)
    renderer(ctx, TWEET_EXPANSIONS)
    xlist = list_or_error(ctx)
    lists = ctx.world.author_lists(xlist.member_ids)
    # X's list timeline gives result_count and tokens, never newest_id/oldest_id.
    data, meta = timeline_page(ctx, lists, limit=limit, reach=LIST_TWEETS_REACH, with_ids=False)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


# --- posts --------------------------------------------------------------------------------


def _matcher(ctx: Ctx) -> Callable[[Tweet], bool]:
    raw = ctx.query.get("query")
    if raw is None or raw == "":
        raise invalid_request("query", [raw or ""], "The `query` query parameter can not be empty")
    try:
        match = compile_query(raw)
    except QueryError as exc:
        raise invalid_request("query", [raw], str(exc)) from None
    world = ctx.world
    return lambda t: match(world.doc(t))


def _search_bounds(ctx: Ctx) -> int:
    """The oldest id recent search may return; X refuses start_time outside its 7 days
    and end_time less than 10 seconds ago."""
    oldest = ctx.now - SEARCH_WINDOW
    start, end = query_time(ctx, "start_time"), query_time(ctx, "end_time")
    if start is not None and start < oldest:
        raw = ctx.query["start_time"]
        raise invalid_request(
            "start_time",
            [raw],
            f"Invalid 'start_time':'{raw}'. 'start_time' must be on or after {iso(oldest)}",
        )
    if end is not None and end > ctx.now - 10:
        raw = ctx.query["end_time"]
        raise invalid_request(
            "end_time",
            [raw],
            f"Invalid 'end_time':'{raw}'. "
            "'end_time' must be a minimum of 10 seconds prior to the request time.",
        )
    return id_floor(oldest) - 1


def search_recent(ctx: Ctx) -> tuple[int, dict[str, object]]:
    accept = _matcher(ctx)
    limit = max_results(ctx, 10, 100, 10)
    _choices(ctx, "sort_order", frozenset({"recency", "relevancy"}))
    renderer(ctx, TWEET_EXPANSIONS)
    floor = _search_bounds(ctx)
    token_param = "pagination_token" if "pagination_token" in ctx.query else "next_token"
    lists = ctx.world.all_lists()
    data, meta = timeline_page(
        ctx, lists, limit=limit, floor=floor, accept=accept, token_param=token_param
    )
    meta.pop("previous_token", None)  # recent search only pages forward
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


def counts_recent(ctx: Ctx) -> tuple[int, dict[str, object]]:
    accept = _matcher(ctx)
    granularity = ctx.query.get("granularity", "hour")
    step = {"minute": 60, "hour": 3600, "day": 86400}.get(granularity)
    if step is None:
        raise invalid_request(
            "granularity",
            [granularity],
            f"The `granularity` query parameter value [{granularity}] "
            "is not one of [day,hour,minute]",
        )
    floor = _search_bounds(ctx)
    window = time_window(ctx).narrow(lo=floor)
    start = query_time(ctx, "start_time") or ctx.now - SEARCH_WINDOW
    end = query_time(ctx, "end_time") or ctx.now
    buckets: dict[int, int] = {}
    world = ctx.world
    lists = world.all_lists()
    for tweet_id in world.page(lists, window, 10**9, accept=accept).ids:
        created = world.tweets[tweet_id].created_at
        if start <= created < end:
            key = int(created // step)
            buckets[key] = buckets.get(key, 0) + 1
    data = []
    first = int(start // step)
    for key in range(first, int((end - 1e-9) // step) + 1):
        bucket_start = max(start, key * step)
        bucket_end = min(end, (key + 1) * step)
        data.append(
            {"end": iso(bucket_end), "start": iso(bucket_start), "tweet_count": buckets.get(key, 0)}
        )
    return 200, {"data": data, "meta": {"total_tweet_count": sum(buckets.values())}}


def tweets_by_ids(ctx: Ctx) -> tuple[int, dict[str, object]]:
    ids = _list_values(ctx, "ids") or []
    if not ids or len(ids) > 100 or any(not ID_RE.match(i) for i in ids):
        raise invalid_request(
            "ids",
            ids,
            "The `ids` query parameter value must be 1 to 100 ids matching ^[0-9]{1,19}$",
        )
    r = renderer(ctx, TWEET_EXPANSIONS)
    data, errors = [], []
    for raw in ids:
        tweet = ctx.world.tweet(int(raw))
        if tweet is None:
            errors.append(
                not_found("tweet", "ids", raw, f"Could not find tweet with ids: [{raw}].")
            )
            continue
        obj = r.tweet(tweet, parameter="ids")
        if obj is not None:
            data.append(obj)
            r.expand_tweet(tweet)
    return 200, r.body(data, extra_errors=errors)


def tweets_by_id(ctx: Ctx) -> tuple[int, dict[str, object]]:
    tweet_id = path_id(ctx)
    r = renderer(ctx, TWEET_EXPANSIONS)
    tweet = ctx.world.tweet(tweet_id)
    if tweet is None:
        return 200, r.body(
            extra_errors=[
                not_found(
                    "tweet", "id", str(tweet_id), f"Could not find tweet with id: [{tweet_id}]."
                )
            ]
        )
    obj = r.tweet(tweet)
    if obj is not None:
        r.expand_tweet(tweet)
    return 200, r.body(obj)


def _weighted_length(text: str) -> int:
    return len(URL_RE.sub("x" * TCO_LENGTH, text))


def tweets_create(ctx: Ctx) -> tuple[int, dict[str, object]]:
    body = ctx.json()
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise invalid_request("text", [str(text)], "text: must be a string")
    reply = body.get("reply")
    quote_id = body.get("quote_tweet_id")
    if not text and not body.get("media") and not body.get("poll") and not quote_id:
        raise invalid_request(
            "text", [""], "Post text must be present unless media, a poll or a quote is given"
        )
    text = text or ""
    if _weighted_length(text) > MAX_TWEET_LENGTH:
        raise forbidden(
            "Your Tweet text is too long. For more information on how X determines text length "
            "see https://github.com/twitter/twitter-text."
        )
    world, me = ctx.world, ctx.me
    parent = None
    if reply is not None:
        parent_raw = str(reply.get("in_reply_to_tweet_id", "")) if isinstance(reply, dict) else ""
        if not ID_RE.match(parent_raw):
            raise invalid_request(
                "reply.in_reply_to_tweet_id",
                [parent_raw],
                "reply.in_reply_to_tweet_id: must be a post id",
            )
        parent = world.tweet(int(parent_raw))
        if parent is None:
            raise forbidden(
                "You attempted to reply to a Tweet that is deleted or not visible to you."
            )
    quoted = None
    if quote_id is not None:
        quoted = world.tweet(int(quote_id)) if ID_RE.match(str(quote_id)) else None
        if quoted is None:
            raise forbidden("You attempted to quote a Tweet that is deleted or not visible to you.")
    # X refuses the same text twice from one account within a while; this is what makes
    # a retried publish fail loudly instead of posting twice.
    for earlier_id in reversed(world.posted[-500:]):
        earlier = world.tweets[earlier_id]
        if ctx.now - earlier.created_at > DAY:
            break
        if (
            earlier.author_id == me.id
            and not earlier.deleted
            and world.submitted.get(earlier_id) == text
        ):
            raise forbidden("You are not allowed to create a Tweet with duplicate content.")
    tweet = world.add_tweet(author=me, text=text, reply_to=parent, quote_of=quoted, origin="posted")
    world.submitted[tweet.id] = text
    return 201, {
        "data": {
            "id": str(tweet.id),
            "text": tweet.text,
            "edit_history_tweet_ids": [str(tweet.id)],
        }
    }


def tweets_delete(ctx: Ctx) -> tuple[int, dict[str, object]]:
    tweet_id = path_id(ctx)
    tweet = ctx.world.tweet(tweet_id)
    if tweet is None:
        return 200, {
            "errors": [
                not_found(
                    "tweet", "id", str(tweet_id), f"Could not find tweet with id: [{tweet_id}]."
                )
            ]
        }
    if tweet.author_id != ctx.principal.user_id:
        raise forbidden("You are not allowed to delete a Tweet you did not create.")
    ctx.world.delete_tweet(tweet)
    return 200, {"data": {"deleted": True}}


# --- direct messages ----------------------------------------------------------------------


def _dm_page(ctx: Ctx, ids: list[int]) -> tuple[int, dict[str, object]]:
    limit = max_results(ctx, 1, 100, 100)
    types = _choices(ctx, "event_types", frozenset(DM_EVENT_TYPES)) or frozenset(DM_EVENT_TYPES)
    r = renderer(ctx, DM_EXPANSIONS)
    ctx.owned = True
    token = decode_token(ctx, "pagination_token", "np")
    lo, hi = 0, INF_ID
    if token and token[0] == "n":
        hi = token[1]
    elif token:
        lo = token[1]
    events = ctx.world.dm_events
    chosen = [i for i in reversed(ids) if lo < i < hi and events[i].event_type in types]
    page = chosen[-limit:] if token and token[0] == "p" else chosen[:limit]
    data = [r.dm(events[i]) for i in page]
    meta: dict[str, object] = {"result_count": len(data)}
    if page:
        # X's DM timelines hand out both tokens on every non-empty page, even the last;
        # the end shows as an empty page.
        meta["next_token"] = encode_token(ctx.token_secret, "n", page[-1])
        meta["previous_token"] = encode_token(ctx.token_secret, "p", page[0])
    return 200, r.body(data, meta)


def dm_events(ctx: Ctx) -> tuple[int, dict[str, object]]:
    return _dm_page(ctx, ctx.world.dm_ids_for_user(ctx.me.id))


def _conversation(ctx: Ctx) -> str:
    conversation = ctx.path_params.get("id") or ctx.path_params["dm_conversation_id"]
    if not CONVERSATION_RE.match(conversation):
        raise invalid_request(
            "id",
            [conversation],
            f"The `id` query parameter value [{conversation}] is not a valid DM conversation id",
        )
    members = ctx.world.dm_conversations.get(conversation)
    if members is None and "-" in conversation:
        a, b = (int(p) for p in conversation.split("-"))
        if ctx.me.id in (a, b) and {a, b} <= ctx.world.users.keys():
            return conversation
    if members is None or ctx.me.id not in members:
        raise forbidden("You are not a participant of this conversation.")
    return conversation


def dm_conversation_events(ctx: Ctx) -> tuple[int, dict[str, object]]:
    return _dm_page(ctx, ctx.world.dm_ids_for_conversation(_conversation(ctx)))


def _participant(ctx: Ctx) -> User:
    other_id = path_id(ctx, "participant_id")
    other = ctx.world.users.get(other_id)
    if other is None or other.id == ctx.me.id:
        raise invalid_request(
            "participant_id",
            [str(other_id)],
            f"The `participant_id` value [{other_id}] is not a user you can message",
        )
    return other


def dm_with_events(ctx: Ctx) -> tuple[int, dict[str, object]]:
    other = _participant(ctx)
    return _dm_page(ctx, ctx.world.dm_ids_for_conversation(conversation_id(ctx.me.id, other.id)))


def _message_text(ctx: Ctx, body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid_request("text", [str(text)], "text: a message needs text")
    return text


def _dm_created(event_id: int, conversation: str) -> tuple[int, dict[str, object]]:
    return 201, {"data": {"dm_conversation_id": conversation, "dm_event_id": str(event_id)}}


def dm_send_with(ctx: Ctx) -> tuple[int, dict[str, object]]:
    other = _participant(ctx)
    text = _message_text(ctx, ctx.json())
    ctx.world.dm_stream.catch_up(ctx.world.until())
    event = ctx.world.add_dm(sender=ctx.me, recipient=other, text=text, sent=True)
    return _dm_created(event.id, event.conversation_id)


def dm_send_in(ctx: Ctx) -> tuple[int, dict[str, object]]:
    conversation = _conversation(ctx)
    text = _message_text(ctx, ctx.json())
    world = ctx.world
    world.dm_stream.catch_up(world.until())
    if conversation not in world.dm_conversations:
        a, b = (int(p) for p in conversation.split("-"))
        other = world.users[b if a == ctx.me.id else a]
        event = world.add_dm(sender=ctx.me, recipient=other, text=text, sent=True)
    else:
        event = world.add_dm(sender=ctx.me, text=text, conversation=conversation, sent=True)
    return _dm_created(event.id, event.conversation_id)


def dm_create_conversation(ctx: Ctx) -> tuple[int, dict[str, object]]:
    body = ctx.json()
    if body.get("conversation_type") != "Group":
        raise invalid_request(
            "conversation_type",
            [str(body.get("conversation_type"))],
            "conversation_type: must be Group",
        )
    raw_ids = body.get("participant_ids") or []
    members = [ctx.world.users.get(int(i)) for i in raw_ids if ID_RE.match(str(i))]
    if not members or None in members or len(members) != len(raw_ids):
        raise invalid_request(
            "participant_ids", [str(i) for i in raw_ids], "participant_ids: must be existing users"
        )
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    text = _message_text(ctx, message)  # type: ignore[arg-type]
    event = ctx.world.create_group(creator=ctx.me, members=members, text=text)  # type: ignore[arg-type]
    return _dm_created(event.id, event.conversation_id)


# --- the table ----------------------------------------------------------------------------

LIST_READ = ("tweet.read", "users.read", "list.read")
DM_READ = ("dm.read", "tweet.read", "users.read")
DM_WRITE = ("dm.write", "dm.read", "tweet.read", "users.read")

ROUTES: tuple[Route, ...] = (
    Route("GET", "/2/users/me", users_me, None, 75, USER_PARAMS),
    Route("GET", "/2/users/by/username/:username", users_by_username, 300, 900, USER_PARAMS),
    Route("GET", "/2/users/by", users_by, 300, 900, USER_PARAMS | {"usernames"}),
    Route("GET", "/2/users", users_by_ids, 300, 900, USER_PARAMS | {"ids"}),
    Route("GET", "/2/users/:id/mentions", users_mentions, 450, 300, TWEET_PARAMS | TIMELINE_PARAMS),
    Route(
        "GET",
        "/2/users/:id/tweets",
        users_tweets,
        1500,
        900,
        TWEET_PARAMS | TIMELINE_PARAMS | {"exclude"},
    ),
    Route(
        "GET",
        "/2/users/:id/owned_lists",
        users_owned_lists,
        15,
        15,
        LIST_PARAMS | {"max_results", "pagination_token"},
        LIST_READ,
    ),
    Route(
        "GET",
        "/2/users/:id/followers",
        users_followers,
        15,
        15,
        USER_PARAMS | {"max_results", "pagination_token"},
        ("tweet.read", "users.read", "follows.read"),
    ),
    Route(
        "GET",
        "/2/users/:id/timelines/reverse_chronological",
        users_home_timeline,
        None,
        180,
        TWEET_PARAMS | TIMELINE_PARAMS | {"exclude"},
    ),
    Route("GET", "/2/users/:id", users_by_id, 300, 900, USER_PARAMS),
    Route(
        "GET",
        "/2/lists/:id/members",
        lists_members,
        900,
        900,
        USER_PARAMS | {"max_results", "pagination_token"},
        LIST_READ,
    ),
    Route(
        "GET",
        "/2/lists/:id/tweets",
        lists_tweets,
        900,
        900,
        TWEET_PARAMS | {"max_results", "pagination_token"},
        LIST_READ,
    ),
    Route("GET", "/2/lists/:id", lists_by_id, 75, 75, LIST_PARAMS, LIST_READ),
    Route(
        "GET",
        "/2/tweets/search/recent",
        search_recent,
        450,
        300,
        TWEET_PARAMS | TIMELINE_PARAMS | {"query", "next_token", "sort_order"},
    ),
    Route(
        "GET",
        "/2/tweets/counts/recent",
        counts_recent,
        300,
        300,
        frozenset(
            {
                "query",
                "start_time",
                "end_time",
                "since_id",
                "until_id",
                "granularity",
                "search_count.fields",
                "next_token",
                "pagination_token",
            }
        ),
        app_only=True,
    ),
    Route("GET", "/2/tweets", tweets_by_ids, 3500, 5000, TWEET_PARAMS | {"ids"}),
    Route(
        "POST",
        "/2/tweets",
        tweets_create,
        None,
        100,
        scopes=("tweet.read", "tweet.write", "users.read"),
    ),
    Route("GET", "/2/tweets/:id", tweets_by_id, 3500, 5000, TWEET_PARAMS),
    Route(
        "DELETE",
        "/2/tweets/:id",
        tweets_delete,
        None,
        50,
        scopes=("tweet.read", "tweet.write", "users.read"),
    ),
    Route(
        "GET",
        "/2/dm_events",
        dm_events,
        None,
        15,
        DM_PARAMS | {"max_results", "pagination_token"},
        DM_READ,
    ),
    Route(
        "GET",
        "/2/dm_conversations/with/:participant_id/dm_events",
        dm_with_events,
        None,
        300,
        DM_PARAMS | {"max_results", "pagination_token"},
        DM_READ,
    ),
    Route(
        "GET",
        "/2/dm_conversations/:id/dm_events",
        dm_conversation_events,
        None,
        300,
        DM_PARAMS | {"max_results", "pagination_token"},
        DM_READ,
    ),
    Route(
        "POST",
        "/2/dm_conversations/with/:participant_id/messages",
        dm_send_with,
        None,
        200,
        scopes=DM_WRITE,
    ),
    Route(
        "POST",
        "/2/dm_conversations/:dm_conversation_id/messages",
        dm_send_in,
        None,
        200,
        scopes=DM_WRITE,
    ),
    Route("POST", "/2/dm_conversations", dm_create_conversation, None, 200, scopes=DM_WRITE),
)


def match_route(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists at all
    (to tell X's 404 from its 405)."""
    path_known = False
    for route in ROUTES:
        m = route.regex.match(path)
        if m is None:
            continue
        path_known = True
        if route.method == method:
            return route, m.groupdict(), True
    return None, {}, path_known


def run(route: Route, ctx: Ctx) -> tuple[int, dict[str, object]]:
    """Check the parameters X would check, then answer."""
    unknown = sorted(set(ctx.query) - route.params)
    if unknown:
        allowed = ",".join(sorted(route.params | set(route.regex.groupindex)))
        raise invalid_request(
            unknown[0],
            [ctx.query[unknown[0]]],
            f"The query parameter [{unknown[0]}] is not one of [{allowed}]",
        )
    try:
        return route.handler(ctx)
    except _NotFound as exc:
        return 200, {"errors": [exc.error]}
