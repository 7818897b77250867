"""A request as handlers see it (:class:`Ctx`), and X's rules for its parameters:
field and expansion lists, ``max_results`` bounds, ids, times, pagination tokens."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xsim.auth import Principal
from xsim.clock import DAY, id_floor, parse_iso
from xsim.fields import (
    DM_EVENT_FIELDS,
    LIST_FIELDS,
    MEDIA_FIELDS,
    PLACE_FIELDS,
    POLL_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
)
from xsim.model import User
from xsim.shapes import (
    PRIVATE_METRICS,
    Renderer,
    invalid_request,
    problem,
    unsupported_authentication,
)
from xsim.store import INF_ID
from xsim.world import Window, World

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

# --- parameters ---------------------------------------------------------------------------


def list_values(ctx: Ctx, name: str) -> list[str] | None:
    raw = ctx.query.get(name)
    if raw is None:
        return None
    return raw.split(",") if raw else [""]


def choices(ctx: Ctx, name: str, allowed: frozenset[str]) -> frozenset[str]:
    values = list_values(ctx, name)
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
        choices(ctx, name, allowed)
    r = Renderer(
        world=ctx.world,
        principal=ctx.principal,
        now=ctx.now,
        tweet_fields=choices(ctx, "tweet.fields", TWEET_FIELDS),
        user_fields=choices(ctx, "user.fields", USER_FIELDS),
        list_fields=choices(ctx, "list.fields", LIST_FIELDS),
        dm_fields=choices(ctx, "dm_event.fields", DM_EVENT_FIELDS),
        expansions=choices(ctx, "expansions", expansions),
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
