"""OAuth 2.0 authorization code with PKCE, and the tokens it gives."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from tests.xsim_server import DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI, XsimHandle


def exchange(xsim: XsimHandle, code: str, verifier: str, **overrides: str) -> dict:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": DEFAULT_REDIRECT_URI,
        "client_id": DEFAULT_CLIENT_ID,
        **overrides,
    }
    response = xsim.request("POST", "/2/oauth2/token", form=form)
    return {"status": response.status, **(response.json or {})}


def test_the_flow_gives_a_user_token_bound_to_the_account(xsim: XsimHandle) -> None:
    code, verifier = xsim.authorize("brightline_help")
    answer = exchange(xsim, code, verifier)
    assert answer["status"] == 200
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 7200
    assert set(answer["scope"].split()) >= {"tweet.read", "users.read", "offline.access"}
    assert answer["refresh_token"]
    me = xsim.get("/2/users/me", token=answer["access_token"])
    assert me.json["data"]["username"] == "brightline_help"
    assert me.headers["x-access-level"] == "read-write-directmessages"


def test_a_wrong_verifier_is_refused_and_the_code_is_spent(xsim: XsimHandle) -> None:
    code, verifier = xsim.authorize()
    refused = exchange(xsim, code, verifier + "x")
    assert refused["status"] == 400
    assert refused["error"] == "invalid_request"
    assert "code verifier" in refused["error_description"]
    # An authorization code works once, even after a failed exchange.
    assert exchange(xsim, code, verifier)["status"] == 400


def test_code_checks(xsim: XsimHandle) -> None:
    code, verifier = xsim.authorize()
    assert exchange(xsim, code, verifier, redirect_uri="http://127.0.0.1/else")["status"] == 400
    code, verifier = xsim.authorize()
    assert exchange(xsim, code, "")["error"] == "invalid_request"
    assert exchange(xsim, "made-up", verifier)["status"] == 400
    code, verifier = xsim.authorize()
    xsim.advance(3600)  # codes expire
    assert exchange(xsim, code, verifier)["status"] == 400


def test_plain_challenge_method(xsim: XsimHandle) -> None:
    verifier = "plain-verifier-" + "a" * 40
    response = xsim.request(
        "GET",
        "/i/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": DEFAULT_REDIRECT_URI,
            "scope": "tweet.read users.read",
            "state": "s1",
            "code_challenge": verifier,
            "code_challenge_method": "plain",
            "xsim_approve": "brightline",
        },
    )
    code = dict(parse_qsl(urlsplit(response.headers["location"]).query))["code"]
    answer = exchange(xsim, code, verifier)
    assert answer["status"] == 200
    assert "refresh_token" not in answer  # no offline.access, no refresh token


def test_refresh_rotates_tokens_and_outlives_the_access_token(xsim: XsimHandle) -> None:
    first = xsim.user_tokens("brightline")
    xsim.advance(7200)
    assert xsim.get("/2/users/me", token=first["access_token"]).status == 401
    refreshed = xsim.request(
        "POST",
        "/2/oauth2/token",
        form={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID,
        },
    )
    assert refreshed.status == 200
    tokens = refreshed.json
    assert tokens["refresh_token"] != first["refresh_token"]
    assert (
        xsim.get("/2/users/me", token=tokens["access_token"]).json["data"]["username"]
        == "brightline"
    )
    again = xsim.request(
        "POST",
        "/2/oauth2/token",
        form={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID,
        },
    )
    assert again.status == 400 and again.json["error"] == "invalid_request"


def test_confidential_clients_authenticate_with_basic_auth(xsim: XsimHandle) -> None:
    code, verifier = xsim.authorize(client_id="confidential-app")
    basic = base64.b64encode(b"confidential-app:s3cret").decode()
    response = xsim.request(
        "POST",
        "/2/oauth2/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": DEFAULT_REDIRECT_URI,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status == 200, response.text


def test_revoked_tokens_stop_working(xsim: XsimHandle) -> None:
    token = xsim.user_tokens("brightline")["access_token"]
    assert xsim.request("POST", "/2/oauth2/revoke", form={"token": token}).json == {"revoked": True}
    assert xsim.get("/2/users/me", token=token).status == 401


def test_scopes_are_enforced(xsim: XsimHandle) -> None:
    token = xsim.user_tokens("brightline", scopes="tweet.read users.read")["access_token"]
    assert xsim.get("/2/users/me", token=token).status == 200
    refused = xsim.get("/2/dm_events", token=token)
    assert refused.status == 403 and "dm.read" in refused.json["detail"]
    assert xsim.post("/2/tweets", {"text": "hi"}, token=token).status == 403


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: list[str] = []
        self.options: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"] or ""] = a.get("value") or ""
        if tag == "button":
            self.buttons.append(a.get("value") or "")
        if tag == "option":
            self.options.append(a.get("value") or "")


def test_consent_page_authorizes_the_chosen_account(xsim: XsimHandle) -> None:
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    page = xsim.request(
        "GET",
        "/i/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": DEFAULT_REDIRECT_URI + "?from=settings",
            "scope": "tweet.read users.read offline.access",
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert re.search(r">Authorize app<", page.text)
    form = _Form()
    form.feed(page.text)
    assert {"approve", "deny"} <= set(form.buttons)
    assert form.options[:2] == ["brightline", "brightline_help"]

    approved = xsim.request(
        "POST",
        "/i/oauth2/authorize",
        form={**form.fields, "username": "brightline_help", "action": "approve"},
    )
    assert approved.status == 302
    location = urlsplit(approved.headers["location"])
    query = dict(parse_qsl(location.query))
    assert query["state"] == "xyz" and query["from"] == "settings"
    answer = exchange(
        xsim, query["code"], verifier, redirect_uri=DEFAULT_REDIRECT_URI + "?from=settings"
    )
    assert (
        xsim.get("/2/users/me", token=answer["access_token"]).json["data"]["username"]
        == "brightline_help"
    )

    denied = xsim.request("POST", "/i/oauth2/authorize", form={**form.fields, "action": "deny"})
    assert dict(parse_qsl(urlsplit(denied.headers["location"]).query)) == {
        "from": "settings",
        "error": "access_denied",
        "state": "xyz",
    }


def test_authorize_refuses_incomplete_requests(xsim: XsimHandle) -> None:
    response = xsim.request("GET", "/i/oauth2/authorize", params={"response_type": "code"})
    assert response.status == 400 and "Missing required parameter" in response.text
