"""``/_sim/``: the control endpoints for tests and demos (no auth, never in production).

- ``POST /_sim/advance`` ``{"seconds": 3600}``: move simulated time forward.
- ``POST /_sim/inject``: add posts (``{"tweets": [{"text", "author", "mentioning",
  "in_reply_to", "lang", "created_at"}]}`` or one such object), users (``"users"``)
  or incoming DMs (``"dms": [{"from", "to", "text"}]``); answers their ids.
- ``POST /_sim/fail`` ``{"status": 429|500|503|401|..., "delay_ms": 0, "count": 1,
  "method": "GET", "path": "/2/users/", "reset_in": 60}``: the next ``count`` matching
  requests (method, path prefix) fail or are slow. ``{"clear": true}`` drops all rules.
- ``GET /_sim/state``: clock, counts, posts (reposts too) and DMs sent through the API,
  requests per endpoint, reads (and what X would charge for them).
- ``GET /_sim/world``: our accounts, lists and people by role, with ids.
- ``POST /_sim/reset``: back to the seed's initial state (``{"tokens": true}`` also
  forgets issued tokens).
- ``POST /_sim/config`` ``{"mention_rate": 600, "dm_rate": 30, "speed": 60}``.
- ``POST /_sim/token`` ``{"username": "brightline", "scopes": "...", "expires_in": 7200}``:
  a user access token without the browser flow.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from xsim.auth import ALL_SCOPES
from xsim.clock import iso, parse_iso
from xsim.limits import FailureRule
from xsim.model import User
from xsim.responses import Response

if TYPE_CHECKING:
    from xsim.server import App


class ControlError(Exception):
    pass


def handle(app: App, method: str, path: str, query: dict[str, str], body: bytes) -> Response:
    action = path.removeprefix("/_sim").strip("/")
    handlers = {
        ("POST", "advance"): advance,
        ("POST", "inject"): inject,
        ("POST", "fail"): fail,
        ("DELETE", "fail"): lambda app, _: clear_failures(app),
        ("GET", "state"): lambda app, _: state(app),
        ("GET", "world"): lambda app, _: world_summary(app),
        ("POST", "reset"): reset,
        ("POST", "config"): config,
        ("GET", "config"): lambda app, _: current_config(app),
        ("POST", "token"): token,
    }
    handler = handlers.get((method, action))
    if handler is None:
        return Response.json(404, {"error": f"no control endpoint {method} /_sim/{action}"})
    try:
        payload = json.loads(body or b"{}")
        if not isinstance(payload, dict | list):
            raise ControlError("body must be a JSON object")
        return Response.json(200, handler(app, payload))
    except (ControlError, ValueError, KeyError, TypeError) as exc:
        return Response.json(400, {"error": f"{type(exc).__name__}: {exc}"})


def _clock(app: App) -> dict[str, object]:
    now = app.now()
    return {"now": iso(now), "now_unix": now}


def advance(app: App, payload: dict[str, Any]) -> dict[str, object]:
    app.clock.advance(float(payload["seconds"]))
    return _clock(app)


def _user(app: App, username: str) -> User:
    user = app.world.user_by_username(str(username).lstrip("@"))
    if user is None:
        raise ControlError(f"no user @{username}")
    return user


def _user_or_new(app: App, username: str) -> User:
    name = str(username).lstrip("@")
    return app.world.user_by_username(name) or app.world.add_user(name)


def _inject_tweet(app: App, spec: dict[str, Any]) -> str:
    world = app.world
    if spec.get("author"):
        author = _user_or_new(app, spec["author"])
    else:
        author = world.users[world.authors_by_role["public"][0]]
    text = str(spec.get("text", ""))
    mentioning = spec.get("mentioning") or []
    if isinstance(mentioning, str):
        mentioning = [mentioning]
    prefix = " ".join(
        f"@{name.lstrip('@')}"
        for name in mentioning
        if f"@{name.lstrip('@')}".lower() not in text.lower()
    )
    for name in mentioning:
        _user(app, name)  # mentioning someone who does not exist is a test bug
    text = f"{prefix} {text}".strip() if prefix else text
    parent = None
    if spec.get("in_reply_to"):
        parent = world.tweet(int(spec["in_reply_to"]))
        if parent is None:
            raise ControlError(f"no post {spec['in_reply_to']} to reply to")
    created_at = parse_iso(spec["created_at"]) if spec.get("created_at") else None
    if created_at is not None and created_at > app.now():
        raise ControlError("created_at is in the simulated future")
    # Catch streams up first so an injected post never gets an id older than one served.
    world.catch_up_all()
    tweet = world.add_tweet(
        author=author,
        text=text,
        created_at=created_at,
        lang=str(spec.get("lang") or "en"),
        reply_to=parent,
        kind=str(spec.get("kind") or "post"),
    )
    return str(tweet.id)


def inject(app: App, payload: dict[str, Any] | list[Any]) -> dict[str, object]:
    if isinstance(payload, list):
        payload = {"tweets": payload}
    elif "text" in payload:
        payload = {"tweets": [payload]}
    result: dict[str, object] = {}
    if payload.get("users"):
        ids = []
        for spec in payload["users"]:
            spec = dict(spec)
            username = str(spec.pop("username")).lstrip("@")
            if app.world.user_by_username(username):
                raise ControlError(f"@{username} exists already")
            ids.append(
                str(
                    app.world.add_user(
                        username, spec.pop("name", None), spec.pop("role", "public"), **spec
                    ).id
                )
            )
        result["user_ids"] = ids
    if payload.get("tweets"):
        result["ids"] = [_inject_tweet(app, spec) for spec in payload["tweets"]]
    if payload.get("dms"):
        ids = []
        app.world.catch_up_all()
        for spec in payload["dms"]:
            created_at = parse_iso(spec["created_at"]) if spec.get("created_at") else None
            event = app.world.add_dm(
                sender=_user_or_new(app, spec["from"]),
                recipient=_user(app, spec["to"]),
                text=str(spec["text"]),
                created_at=created_at,
            )
            ids.append(str(event.id))
        result["dm_event_ids"] = ids
    if not result:
        raise ControlError("nothing to inject: give tweets, users or dms")
    return result


def fail(app: App, payload: dict[str, Any]) -> dict[str, object]:
    if payload.get("clear"):
        return clear_failures(app)
    status = payload.get("status")
    delay_ms = int(payload.get("delay_ms") or 0)
    if status is None and not delay_ms:
        raise ControlError("give a status or a delay_ms")
    rule = FailureRule(
        method=str(payload.get("method") or "*").upper(),
        path=str(payload.get("path") or "/2/"),
        count=int(payload.get("count") or 1),
        status=int(status) if status is not None else None,
        delay_ms=delay_ms,
        reset_in=float(payload.get("reset_in") or 60),
    )
    app.failures.add(rule)
    return {"pending": [r.as_json() for r in app.failures.rules]}


def clear_failures(app: App) -> dict[str, object]:
    app.failures.clear()
    return {"pending": []}


def state(app: App) -> dict[str, object]:
    world = app.world
    posts = []
    for tweet_id in world.posted:
        tweet = world.tweets[tweet_id]
        reply_to = next((i for k, i in tweet.referenced if k == "replied_to"), None)
        reposted = next((i for k, i in tweet.referenced if k == "retweeted"), None)
        posts.append(
            {
                "id": str(tweet.id),
                "text": tweet.text,
                # A repost is sent without text of its own.
                "submitted_text": "" if reposted else world.submitted.get(tweet.id, tweet.text),
                "author_id": str(tweet.author_id),
                "username": world.users[tweet.author_id].username,
                "in_reply_to_tweet_id": str(reply_to) if reply_to else None,
                "reposted_tweet_id": str(reposted) if reposted else None,
                "created_at": iso(tweet.created_at),
                "deleted": tweet.deleted,
            }
        )
    dms = []
    for event_id in world.dms_sent:
        event = world.dm_events[event_id]
        dms.append(
            {
                "id": str(event.id),
                "dm_conversation_id": event.conversation_id,
                "sender_id": str(event.sender_id),
                "participant_ids": [str(p) for p in event.participant_ids],
                "text": event.text,
                "created_at": iso(event.created_at),
            }
        )
    reads = app.stats.as_json()
    return {
        **_clock(app),
        "start": iso(app.start),
        "seed": app.options.seed,
        "speed": app.clock.speed,
        "mention_rate": app.mention_rate,
        "dm_rate": app.dm_rate,
        "counts": world.counts(),
        "posts": posts,
        "dms_sent": dms,
        "likes": [
            {"user_id": str(user_id), "tweet_id": str(tweet_id), "liked_at": iso(at)}
            for (user_id, tweet_id), at in sorted(world.likes.items(), key=lambda kv: kv[1])
        ],
        "requests": dict(app.stats.requests),
        "requests_total": sum(app.stats.requests.values()),
        "statuses": {k: {str(s): n for s, n in v.items()} for k, v in app.stats.statuses.items()},
        "posts_read": reads["posts"],
        "reads": reads,
        "failures_pending": [r.as_json() for r in app.failures.rules],
    }


def world_summary(app: App) -> dict[str, object]:
    world = app.world
    by_role: dict[str, list[dict[str, str]]] = {}
    for role, ids in world.roles.items():
        if role in ("company", "support"):
            continue
        by_role[role] = [
            {"id": str(uid), "username": world.users[uid].username} for uid in ids[:500]
        ]
    return {
        **_clock(app),
        "accounts": {u.username: str(u.id) for u in (world.company, world.support)},
        "lists": [
            {
                "id": str(xl.id),
                "name": xl.name,
                "owner": world.users[xl.owner_id].username,
                "private": xl.private,
                "member_count": len(xl.member_ids),
            }
            for xl in world.lists.values()
        ],
        "people": by_role,
    }


def reset(app: App, payload: dict[str, Any]) -> dict[str, object]:
    app.reset(tokens=bool(payload.get("tokens")))
    return {"reset": True, **_clock(app)}


def config(app: App, payload: dict[str, Any]) -> dict[str, object]:
    if "speed" in payload:
        app.clock.set_speed(float(payload["speed"]))
    if "mention_rate" in payload:
        rate = float(payload["mention_rate"])
        if rate < 0:
            raise ControlError("mention_rate must be >= 0")
        app.now()
        app.world.set_mention_rate(rate)
        app.mention_rate = rate
    if "dm_rate" in payload:
        rate = float(payload["dm_rate"])
        if rate < 0:
            raise ControlError("dm_rate must be >= 0")
        app.now()
        app.world.set_dm_rate(rate)
        app.dm_rate = rate
    if "mentions_reach" in payload:
        app.mentions_reach = int(payload["mentions_reach"])
    return current_config(app)


def current_config(app: App) -> dict[str, object]:
    return {
        **_clock(app),
        "speed": app.clock.speed,
        "mention_rate": app.mention_rate,
        "dm_rate": app.dm_rate,
        "mentions_reach": app.mentions_reach,
        "seed": app.options.seed,
        "start": iso(app.start),
    }


def token(app: App, payload: dict[str, Any]) -> dict[str, object]:
    user = _user(app, payload["username"])
    scopes = payload.get("scopes") or " ".join(ALL_SCOPES)
    if isinstance(scopes, list):
        scopes = " ".join(scopes)
    unknown = [s for s in scopes.split() if s not in ALL_SCOPES]
    if unknown:
        raise ControlError(f"unknown scopes: {unknown}")
    answer = app.tokens.issue_tokens(
        user_id=user.id,
        scopes=frozenset(scopes.split()),
        client_id=str(payload.get("client_id") or "xsim-test-client"),
        now=app.now(),
        ttl=int(payload["expires_in"]) if payload.get("expires_in") else None,
    )
    return {**answer, "user_id": str(user.id), "username": user.username}
