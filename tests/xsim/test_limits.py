"""Rate limits (X's numbers, per endpoint and caller, 15-minute windows on the simulated
clock, the three headers on every answer) and forced failures."""

from __future__ import annotations

import time

import pytest

from tests.xsim_server import XsimHandle, XsimResponse

RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


def now(xsim: XsimHandle) -> float:
    return xsim.state()["now_unix"]


def limit_of(response: XsimResponse) -> tuple[int, int, int]:
    return tuple(int(response.headers[h]) for h in RATE_HEADERS)  # type: ignore[return-value]


def test_a_window_runs_out_and_resets_after_15_simulated_minutes(
    xsim: XsimHandle, company: dict[str, str]
) -> None:
    path = f"/2/users/{company['id']}/owned_lists"
    opened = now(xsim)
    for used in range(1, 16):
        response = xsim.get(path, token=company["token"])
        assert response.status == 200
        assert limit_of(response) == (15, 15 - used, int(opened) + 900)
    refused = xsim.get(path, token=company["token"])
    assert refused.status == 429
    assert refused.json == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert limit_of(refused) == (15, 0, int(opened) + 900)

    xsim.advance(14 * 60)
    assert xsim.get(path, token=company["token"]).status == 429
    xsim.advance(60)
    again = xsim.get(path, token=company["token"])
    assert again.status == 200
    assert limit_of(again)[:2] == (15, 14)


def test_callers_have_their_own_windows(
    xsim: XsimHandle, company: dict[str, str], support: dict[str, str]
) -> None:
    path = f"/2/users/{company['id']}/owned_lists"
    for _ in range(15):
        xsim.get(path, token=company["token"])
    assert xsim.get(path, token=company["token"]).status == 429
    assert xsim.get(path, token=support["token"]).status == 200  # another user
    assert xsim.get(path).status == 200  # the app-only bearer
    # A second token of the same account shares its window: X counts per user.
    other_token = xsim.user_tokens("brightline")["access_token"]
    assert xsim.get(path, token=other_token).status == 429


@pytest.mark.parametrize(
    ("path", "app", "user"),
    [
        ("/2/users/{me}/mentions", 450, 300),
        ("/2/lists/{press}/tweets", 900, 900),
        ("/2/lists/{press}/members", 900, 900),
        ("/2/users/{me}/owned_lists", 15, 15),
        ("/2/tweets/search/recent?query=brightline", 450, 300),
        ("/2/tweets?ids={me}", 3500, 5000),
        ("/2/users/by/username/brightline", 300, 900),
        ("/2/users/me", None, 75),
        ("/2/dm_events", None, 15),
    ],
)
def test_x_limits_per_endpoint(
    xsim: XsimHandle, company: dict[str, str], path: str, app: int | None, user: int
) -> None:
    press = next(xl["id"] for xl in xsim.world()["lists"] if xl["name"] == "Industry press")
    url = path.format(me=company["id"], press=press)
    as_user = xsim.request("GET", url, token=company["token"])
    assert as_user.status == 200 and int(as_user.headers["x-rate-limit-limit"]) == user
    as_app = xsim.request("GET", url, token=xsim.app_bearer)
    if app is None:
        assert as_app.status == 403
    else:
        assert as_app.status == 200 and int(as_app.headers["x-rate-limit-limit"]) == app


@pytest.mark.parametrize(
    ("method", "path", "token", "status"),
    [
        ("GET", "/2/users/me", None, 401),
        ("GET", "/2/users/me", "app", 403),
        ("GET", "/2/users/by/username/-", "app", 400),
        ("GET", "/2/nothing/here", "app", 404),
        ("PUT", "/2/tweets", "user", 405),
        ("GET", "/2/tweets/1", "app", 200),
    ],
)
def test_every_answer_carries_the_rate_limit_headers(
    xsim: XsimHandle,
    company: dict[str, str],
    method: str,
    path: str,
    token: str | None,
    status: int,
) -> None:
    bearer = {"app": xsim.app_bearer, "user": company["token"], None: None}[token]
    response = xsim.request(method, path, token=bearer)
    assert response.status == status
    assert all(response.headers.get(h, "").isdigit() for h in RATE_HEADERS), response.headers


def test_forced_429_carries_a_reset_n_seconds_ahead(
    xsim: XsimHandle, company: dict[str, str]
) -> None:
    path = f"/2/users/{company['id']}/mentions"
    xsim.fail(429, path=path, count=2, reset_in=300)
    at = now(xsim)
    for _ in range(2):
        response = xsim.get(path, token=company["token"])
        assert response.status == 429
        assert response.headers["x-rate-limit-remaining"] == "0"
        assert int(response.headers["x-rate-limit-reset"]) == int(at + 300)
    assert xsim.get(path, token=company["token"]).status == 200


@pytest.mark.parametrize(
    ("status", "title"),
    [(500, "Internal Server Error"), (503, "Service Unavailable"), (401, "Unauthorized")],
)
def test_forced_errors(xsim: XsimHandle, company: dict[str, str], status: int, title: str) -> None:
    xsim.fail(status, path="/2/tweets/search/recent", method="GET")
    failed = xsim.get("/2/tweets/search/recent", query="brightline")
    assert failed.status == status
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json["title"] == title and failed.json["status"] == status
    assert xsim.get("/2/tweets/search/recent", query="brightline").status == 200


def test_forced_failures_match_method_and_path_prefix(
    xsim: XsimHandle, company: dict[str, str]
) -> None:
    xsim.fail(503, path="/2/tweets", method="POST")
    assert xsim.get("/2/tweets/search/recent", query="brightline").status == 200
    assert xsim.state()["failures_pending"][0]["count"] == 1
    posted = xsim.post("/2/tweets", {"text": "Maintenance done"}, token=company["token"])
    assert posted.status == 503
    assert xsim.state()["posts"] == []  # a failed publish posted nothing
    assert (
        xsim.post("/2/tweets", {"text": "Maintenance done"}, token=company["token"]).status == 201
    )


def test_forced_delay_slows_the_answer_down(xsim: XsimHandle) -> None:
    xsim.fail(delay_ms=400, path="/2/users/by/username/")
    started = time.monotonic()
    assert xsim.get("/2/users/by/username/brightline").status == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    xsim.get("/2/users/by/username/brightline")
    assert time.monotonic() - started < 0.4


def test_failures_can_be_cleared(xsim: XsimHandle) -> None:
    xsim.fail(500, count=10)
    assert len(xsim.state()["failures_pending"]) == 1
    xsim.control("POST", "fail", {"clear": True})
    assert xsim.get("/2/users/by/username/brightline").status == 200
