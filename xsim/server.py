"""HTTP: one :class:`App` (world, clock, tokens, limits, failures, counters) behind a
threading HTTP/1.1 server.

Every request runs under one lock: the world is shared state and answers are fast, so a
single lock is simpler than anything finer and never the bottleneck. Only forced delays
sleep outside it.

Besides the X API, the app serves:

- ``GET /i/oauth2/authorize``, ``POST /2/oauth2/token``, ``POST /2/oauth2/revoke``: the
  OAuth 2.0 authorization-code flow with PKCE (see :mod:`xsim.oauth`);
- ``/_sim/...``: control endpoints for tests and demos, no auth (see :mod:`xsim.control`).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from xsim import __version__, api, control, oauth
from xsim.auth import ACCESS_TOKEN_TTL, TokenStore
from xsim.clock import SimClock
from xsim.limits import FailureRule, Failures, RateLimiter, RateState
from xsim.params import MENTIONS_REACH
from xsim.responses import PROBLEM_JSON, Response
from xsim.shapes import (
    ApiError,
    forbidden,
    problem,
    too_many_requests,
    unauthorized,
    unsupported_authentication,
)
from xsim.world import World

DEFAULT_DM_RATE = 1.0  # incoming DMs per simulated hour, as the world is seeded

PRICE_POST, PRICE_USER, PRICE_OWNED = 0.005, 0.010, 0.001  # USD per resource read (2026)


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 1
    start: float | None = None  # None: the real current time, truncated to the minute
    speed: float = 1.0
    mention_rate: float = 120.0
    dm_rate: float = 1.0
    app_bearer: str = "xsim-app-bearer"
    mentions_reach: int = MENTIONS_REACH
    token_ttl: int = ACCESS_TOKEN_TTL
    verbose: bool = False


@dataclass
class Stats:
    """What the simulator was asked, for tests and the cost benchmark."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    posts_read: int = 0
    users_read: int = 0
    owned_posts_read: int = 0
    dm_events_read: int = 0
    # X charges a resource once per UTC day however often it is read.
    billable: set[tuple[str, str, int]] = field(default_factory=set)

    def record(self, name: str, status: int) -> None:
        self.requests[name] += 1
        self.statuses.setdefault(name, Counter())[status] += 1

    def reads(
        self,
        now: float,
        posts: list[int],
        users: list[int],
        owned: bool,
        dm_events: list[int] | None = None,
    ) -> None:
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        post_kind = "owned" if owned else "post"
        # A DM event read is billed as a post read is (once per UTC day, at the post price).
        self.dm_events_read += len(dm_events or ())
        self.billable.update((day, "dm_event", e) for e in dm_events or ())
        self.posts_read += len(posts)
        self.users_read += len(users)
        if owned:
            self.owned_posts_read += len(posts)
        self.billable.update((day, post_kind, p) for p in posts)
        self.billable.update((day, "user", u) for u in users)

    def as_json(self) -> dict[str, object]:
        kinds = Counter(kind for _, kind, _ in self.billable)
        cost = (
            (kinds["post"] + kinds["dm_event"]) * PRICE_POST
            + kinds["user"] * PRICE_USER
            + kinds["owned"] * PRICE_OWNED
        )
        return {
            "posts": self.posts_read,
            "users": self.users_read,
            "owned_posts": self.owned_posts_read,
            "billable_posts": kinds["post"],
            "billable_users": kinds["user"],
            "billable_owned_posts": kinds["owned"],
            "dm_events": self.dm_events_read,
            "billable_dm_events": kinds["dm_event"],
            "estimated_cost_usd": round(cost, 4),
        }


def default_start() -> float:
    """The real current time truncated to the minute, so created_at and the 7-day search
    window look plausible next to the product's own clock."""
    return float(int(time.time()) // 60 * 60)


class App:
    """The simulator, independent of the HTTP server (tests can call :meth:`handle`)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.start = options.start if options.start is not None else default_start()
        self.lock = threading.RLock()
        self.tokens = TokenStore(options.app_bearer, token_ttl=options.token_ttl)
        self.token_secret = f"xsim-{options.seed}-{int(self.start)}"
        self.reset()

    def reset(self, *, tokens: bool = False) -> None:
        """Back to the seed's initial state; issued tokens survive unless ``tokens``."""
        with self.lock:
            self.clock = SimClock(self.start, self.options.speed)
            self.mention_rate = self.options.mention_rate
            self.mentions_reach = self.options.mentions_reach
            self.world = World(
                seed=self.options.seed, start=self.start, mention_rate=self.mention_rate
            )
            self.dm_rate = self.options.dm_rate
            if self.dm_rate != DEFAULT_DM_RATE:
                self.world.set_dm_rate(self.dm_rate)
            self.limits = RateLimiter()
            self.failures = Failures()
            self.stats = Stats()
            if tokens:
                self.tokens = TokenStore(self.options.app_bearer, token_ttl=self.options.token_ttl)

    def now(self) -> float:
        now = self.clock.now()
        self.world.now = now
        return now

    # --- dispatch -----------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Message | dict[str, str], body: bytes
    ) -> Response:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        if path.startswith("/_sim"):
            with self.lock:
                self.now()
                return control.handle(self, method, path, query, body)
        with self.lock:
            self.now()
            rule = self.failures.take(method, path)
        if rule is not None and rule.delay_ms:
            time.sleep(rule.delay_ms / 1000)  # outside the lock: a slow answer blocks no one
        with self.lock:
            now = self.now()
            if rule is not None and rule.status:
                return self._forced(rule, method, path, now)
            if path.startswith(("/i/oauth2/", "/2/oauth2/")):
                return oauth.handle(self, method, path, query, headers, body)
            if path == "/":
                return Response(200, INDEX.encode(), "text/plain; charset=utf-8")
            return self._api(method, path, query, headers, body, now)

    def _api(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Message | dict[str, str],
        body: bytes,
        now: float,
    ) -> Response:
        route, params, path_known = api.match_route(method, path)
        if route is None:
            self.stats.record(f"{method} (unknown)", 405 if path_known else 404)
            limit_headers = RateState(0, 0, int(now) + 900, True).headers()
            if path_known:
                err = problem(405, "Method Not Allowed", f"{method} is not supported for {path}")
            else:
                err = problem(404, "Not Found Error", f"No X API v2 endpoint at {path}")
            return self._error(err, limit_headers)
        principal = self.tokens.principal(headers.get("Authorization"), now)
        caller = principal.rate_key if principal else "anonymous"
        limit = (
            route.user_limit
            if principal and principal.is_user
            else (route.app_limit or route.user_limit)
        )
        peek = self.limits.peek(route.name, caller, limit, now).headers()
        if principal is None:
            return self._record(route.name, self._error(unauthorized(), peek))
        if route.app_only and principal.is_user:
            err = problem(
                403,
                "Unsupported Authentication",
                "Authenticating with OAuth 2.0 User Context is forbidden for this endpoint.  "
                "Supported authentication types are [OAuth 2.0 Application-Only].",
                "unsupported-authentication",
            )
            return self._record(route.name, self._error(err, peek))
        if route.app_limit is None and not principal.is_user:
            return self._record(route.name, self._error(unsupported_authentication(), peek))
        if principal.is_user:
            missing = [s for s in route.scopes if s not in principal.scopes]
            if missing:
                err = forbidden(
                    f"The token lacks the scope(s) this endpoint needs: {', '.join(missing)}."
                )
                return self._record(route.name, self._error(err, peek))
        state = self.limits.hit(route.name, caller, limit, now)
        limit_headers = state.headers()
        if not state.allowed:
            return self._record(route.name, self._error(too_many_requests(), limit_headers))
        ctx = api.Ctx(
            world=self.world,
            principal=principal,
            now=now,
            method=method,
            path_params=params,
            query=query,
            body=body,
            token_secret=self.token_secret,
            mentions_reach=self.mentions_reach,
        )
        try:
            status, payload = api.run(route, ctx)
        except ApiError as err:
            return self._record(route.name, self._error(err, limit_headers))
        if ctx.renderer is not None and status < 300:
            r = ctx.renderer
            self.stats.reads(now, r.posts_read, r.users_read, ctx.owned, r.dm_events_read)
        access = "read-write-directmessages" if principal.is_user else "read"
        response = Response.json(
            status, payload, headers={**limit_headers, "x-access-level": access}
        )
        return self._record(route.name, response)

    def _record(self, name: str, response: Response) -> Response:
        self.stats.record(name, response.status)
        return response

    def _error(self, err: ApiError, limit_headers: dict[str, str]) -> Response:
        return Response.json(err.status, err.body, PROBLEM_JSON, {**limit_headers, **err.headers})

    def _forced(self, rule: FailureRule, method: str, path: str, now: float) -> Response:
        route, _, _ = api.match_route(method, path)
        name = route.name if route else f"{method} (unknown)"
        limit = (route.app_limit or route.user_limit) if route else 0
        status = rule.status or 500
        if status == 429:
            headers = RateState(limit, 0, int(now + rule.reset_in), False).headers()
            return self._record(name, self._error(too_many_requests(), headers))
        headers = RateState(limit, limit, int(now) + 900, True).headers()
        if status == 401:
            err = unauthorized()
        elif status == 503:
            err = problem(503, "Service Unavailable", "Service Unavailable")
        elif status == 500:
            err = problem(500, "Internal Server Error", "Internal Server Error")
        else:
            phrase = (
                HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
            )
            err = problem(status, phrase, phrase)
        return self._record(name, self._error(err, headers))


INDEX = f"""xsim {__version__}: the X API v2 simulator bundled with SocialOps.

X API:   GET /2/users/me, /2/users/by/username/:username, /2/users/:id, /2/users/:id/mentions,
         /2/users/:id/tweets, /2/users/:id/owned_lists, /2/lists/:id, /2/lists/:id/members,
         /2/lists/:id/tweets, /2/tweets/search/recent, /2/tweets?ids=, /2/tweets/:id,
         POST /2/tweets, DELETE /2/tweets/:id, POST /2/users/:id/retweets,
         DELETE /2/users/:id/retweets/:source_tweet_id, GET /2/dm_events,
         POST /2/dm_conversations/with/:id/messages (and a few more)
OAuth:   GET /i/oauth2/authorize, POST /2/oauth2/token, POST /2/oauth2/revoke
Control: POST /_sim/advance, /_sim/inject, /_sim/fail, /_sim/reset, /_sim/config,
         /_sim/token; GET /_sim/state, /_sim/world
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as tweepy's requests session expects
    server_version = f"xsim/{__version__}"
    sys_version = ""
    server: XsimHTTPServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            response = self.server.app.handle(self.command, self.path, self.headers, body)
        except Exception:  # a bug must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            err = problem(500, "Internal Server Error", "xsim failed on this request; see its log")
            response = Response.json(500, err.body, PROBLEM_JSON)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        if self.server.app.options.verbose:
            super().log_message(format, *args)


class XsimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: App) -> None:
        if ":" in app.options.host:
            import socket

            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__((app.options.host, app.options.port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"
