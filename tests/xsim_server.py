"""Run the bundled X API simulator (xsim) in a subprocess, for any test that needs X.

    from tests.xsim_server import run_xsim, xsim, xsim_server  # noqa: F401

    def test_mentions_arrive(xsim):           # a fresh world per test (reset, frozen clock)
        token = xsim.user_token("brightline")
        me = xsim.user_id("brightline")
        before = xsim.get(f"/2/users/{me}/mentions", token=token).json["meta"]["newest_id"]
        xsim.advance(600)                      # ten simulated minutes: new mentions
        page = xsim.get(f"/2/users/{me}/mentions", token=token, since_id=before)
        assert page.json["meta"]["result_count"] > 0

    with run_xsim(seed=7, mention_rate=10_000, speed=0) as sim:   # a process of your own
        client_base_url = sim.url

Only loopback is used, through urllib with proxies disabled. The process is started
with ``sys.executable -m xsim --port 0`` from the repository root and stopped on exit.
"""

from __future__ import annotations

import base64
import hashlib
import json as jsonlib
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
REQUEST_TIMEOUT = 30.0
DEFAULT_CLIENT_ID = "socialops-test-client"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/x/callback"
LONG_TTL = 30 * 24 * 3600
ALL_SCOPES = (
    "tweet.read tweet.write users.read offline.access list.read list.write dm.read dm.write "
    "follows.read like.write"
)


@dataclass(frozen=True)
class XsimResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return jsonlib.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxies: a proxy from the environment must never see a loopback test request.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


class XsimHandle:
    """A running simulator: its base URL, the app bearer token, and helpers."""

    def __init__(
        self, url: str, app_bearer: str, process: subprocess.Popen[bytes] | None = None
    ) -> None:
        self.url = url
        self.app_bearer = app_bearer
        self.process = process
        self._tokens: dict[tuple[str, str], str] = {}

    # --- raw HTTP -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> XsimResponse:
        """Any request; ``token`` goes in as ``Authorization: Bearer``. Never raises for
        an HTTP status."""
        url = self.url + path
        if params:
            clean = {k: v for k, v in params.items() if v is not None}
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(clean)
        data = None
        all_headers = dict(headers or {})
        if json is not None:
            data = jsonlib.dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with _opener.open(req, timeout=REQUEST_TIMEOUT) as resp:
                return XsimResponse(resp.status, _lower(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as err:
            return XsimResponse(err.code, _lower(err.headers.items()), err.read())

    def get(self, path: str, *, token: str | None = None, **params: Any) -> XsimResponse:
        """GET with query parameters as keywords (``tweet_fields=`` for ``tweet.fields=``);
        the app bearer token unless ``token`` is given."""
        query = {k.replace("_fields", ".fields"): v for k, v in params.items()}
        return self.request("GET", path, token=token or self.app_bearer, params=query)

    def post(self, path: str, json: Any, *, token: str | None = None) -> XsimResponse:
        return self.request("POST", path, token=token or self.app_bearer, json=json)

    def control(self, method: str, action: str, payload: Any = None) -> Any:
        response = self.request(method, f"/_sim/{action}", json=payload)
        if response.status != 200:
            raise AssertionError(f"/_sim/{action} answered {response.status}: {response.text}")
        return response.json

    # --- the control endpoints ----------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return self.control("GET", "state")

    def world(self) -> dict[str, Any]:
        return self.control("GET", "world")

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move simulated time forward; mentions and posts arrive meanwhile."""
        return self.control("POST", "advance", {"seconds": seconds})

    def reset(self, *, tokens: bool = False) -> dict[str, Any]:
        if tokens:
            self._tokens.clear()
        return self.control("POST", "reset", {"tokens": tokens})

    def config(self, **settings: Any) -> dict[str, Any]:
        """``mention_rate`` (per simulated hour), ``speed``, ``mentions_reach``."""
        return self.control("POST", "config", settings)

    def inject(
        self,
        text: str,
        *,
        author: str | None = None,
        mentioning: str | list[str] | None = None,
        in_reply_to: str | None = None,
        lang: str | None = None,
        created_at: str | datetime | None = None,
    ) -> str:
        """Add one post (its author is created if unknown); returns its id."""
        spec = {
            "text": text,
            "author": author,
            "mentioning": mentioning,
            "in_reply_to": in_reply_to,
            "lang": lang,
            "created_at": created_at.isoformat()
            if isinstance(created_at, datetime)
            else created_at,
        }
        answer = self.control("POST", "inject", {"tweets": [spec]})
        return answer["ids"][0]

    def inject_many(self, tweets: list[dict[str, Any]]) -> list[str]:
        return self.control("POST", "inject", {"tweets": tweets})["ids"]

    def inject_dm(self, sender: str, recipient: str, text: str) -> str:
        answer = self.control(
            "POST", "inject", {"dms": [{"from": sender, "to": recipient, "text": text}]}
        )
        return answer["dm_event_ids"][0]

    def add_user(self, username: str, **fields: Any) -> str:
        return self.control("POST", "inject", {"users": [{"username": username, **fields}]})[
            "user_ids"
        ][0]

    def fail(
        self,
        status: int | None = None,
        *,
        path: str = "/2/",
        method: str = "*",
        count: int = 1,
        reset_in: float = 60,
        delay_ms: int = 0,
    ) -> dict[str, Any]:
        """Make the next ``count`` requests matching ``method`` and the ``path`` prefix
        fail with ``status`` (429 carries a reset ``reset_in`` seconds ahead), or answer
        after ``delay_ms``."""
        return self.control(
            "POST",
            "fail",
            {
                "status": status,
                "path": path,
                "method": method,
                "count": count,
                "reset_in": reset_in,
                "delay_ms": delay_ms,
            },
        )

    def user_id(self, username: str) -> str:
        response = self.get(f"/2/users/by/username/{username}")
        assert response.status == 200 and "data" in response.json, response.text
        return response.json["data"]["id"]

    # --- user tokens --------------------------------------------------------------------

    def authorize(
        self,
        username: str = "brightline",
        *,
        scopes: str = ALL_SCOPES,
        client_id: str = DEFAULT_CLIENT_ID,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        verifier: str | None = None,
    ) -> tuple[str, str]:
        """The authorize step with auto-approval: returns (code, verifier)."""
        verifier = verifier or secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state = secrets.token_urlsafe(12)
        response = self.request(
            "GET",
            "/i/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scopes,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "xsim_approve": username,
            },
        )
        assert response.status == 302, response.text
        query = dict(
            urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["location"]).query)
        )
        assert query["state"] == state
        return query["code"], verifier

    def user_tokens(
        self,
        username: str = "brightline",
        *,
        scopes: str = ALL_SCOPES,
        client_id: str = DEFAULT_CLIENT_ID,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
    ) -> dict[str, Any]:
        """The whole OAuth 2.0 PKCE flow for a simulated account: the token answer
        (``access_token``, ``refresh_token``, ``expires_in``, ``scope``, ``token_type``)."""
        code, verifier = self.authorize(
            username, scopes=scopes, client_id=client_id, redirect_uri=redirect_uri
        )
        response = self.request(
            "POST",
            "/2/oauth2/token",
            form={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
                "client_id": client_id,
            },
        )
        assert response.status == 200, response.text
        return response.json

    def user_token(
        self, username: str = "brightline", *, scopes: str = ALL_SCOPES, expires_in: int = LONG_TTL
    ) -> str:
        """A user-context access token for a simulated account, from the test shortcut
        (``POST /_sim/token``): valid 30 simulated days by default, so a test can advance
        time freely. ``user_tokens`` runs the real PKCE flow, with X's 2-hour expiry."""
        key = (username.lower(), scopes, expires_in)
        if key not in self._tokens:
            answer = self.control(
                "POST", "token", {"username": username, "scopes": scopes, "expires_in": expires_in}
            )
            self._tokens[key] = answer["access_token"]
        return self._tokens[key]


def _lower(items: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


def _flags(options: dict[str, Any]) -> list[str]:
    flags = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        flags += [flag, str(value)]
    return flags


@contextmanager
def run_xsim(**options: Any) -> Iterator[XsimHandle]:
    """Start ``python -m xsim --port 0`` with ``options`` as flags (``seed=1``,
    ``start="2026-03-02T09:00:00Z"``, ``speed=0``, ``mention_rate=600``,
    ``app_bearer=...``, ``host=...``); yield its handle; stop it on exit."""
    options.setdefault("host", "127.0.0.1")
    cmd = [sys.executable, "-m", "xsim", "--port", "0", *_flags(options)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log, env=env)
        try:
            url = _read_url(process, log)
            handle = XsimHandle(url, str(options.get("app_bearer") or "xsim-app-bearer"), process)
            _wait_until_up(handle, process, log)
            yield handle
        finally:
            _stop(process)


def _read_url(process: subprocess.Popen[bytes], log: Any) -> str:
    lines: queue.Queue[bytes] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        line = lines.get(timeout=START_TIMEOUT).decode().strip()
    except queue.Empty:
        raise RuntimeError(f"xsim printed nothing within {START_TIMEOUT} s:\n{_log(log)}") from None
    prefix = "xsim listening on "
    if not line.startswith(prefix):
        raise RuntimeError(f"unexpected first line from xsim: {line!r}\n{_log(log)}")
    return line.removeprefix(prefix)


def _wait_until_up(handle: XsimHandle, process: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"xsim exited with {process.returncode}:\n{_log(log)}")
        try:
            if handle.request("GET", "/_sim/config").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"xsim did not answer within {START_TIMEOUT} s:\n{_log(log)}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _log(log: Any) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-4000:]


@pytest.fixture(scope="session")
def xsim_server() -> Iterator[XsimHandle]:
    """One simulator per test session (per xdist worker), clock frozen (``speed=0``) at
    the real current minute; tests move time with ``advance``."""
    with run_xsim(seed=1, speed=0) as handle:
        yield handle


@pytest.fixture
def xsim(xsim_server: XsimHandle) -> XsimHandle:
    """The session's simulator, reset to the seed's initial state for this test (world,
    clock, rate limits, forced failures and counters; issued tokens stay valid)."""
    xsim_server.reset()
    return xsim_server
