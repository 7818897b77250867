"""OAuth 2.0 authorization code with PKCE, the way X runs it.

``GET /i/oauth2/authorize`` shows a small consent page ("Authorize app") where the demo
user picks which simulated account signs in; the form posts back and the browser is
sent to ``redirect_uri`` with ``code`` and ``state``. Tests skip the page with
``xsim_approve=<username>`` on the authorize URL. ``POST /2/oauth2/token`` exchanges the
code (checking the PKCE verifier) or a refresh token; ``POST /2/oauth2/revoke`` revokes.
"""

from __future__ import annotations

import base64
import html
from email.message import Message
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from xsim.auth import ALL_SCOPES, OAuthError
from xsim.responses import Response

if TYPE_CHECKING:
    from xsim.server import App

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
TOKEN_LIMIT = 300


def handle(
    app: App,
    method: str,
    path: str,
    query: dict[str, str],
    headers: Message | dict[str, str],
    body: bytes,
) -> Response:
    if path == "/i/oauth2/authorize" and method == "GET":
        return authorize(app, query)
    if path == "/i/oauth2/authorize" and method == "POST":
        return authorize(app, dict(parse_qsl(body.decode("utf-8", "replace"))), submitted=True)
    if path == "/2/oauth2/token" and method == "POST":
        return token(app, headers, body)
    if path == "/2/oauth2/revoke" and method == "POST":
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        app.tokens.revoke(form.get("token", ""))
        return Response.json(200, {"revoked": True})
    return Response.json(
        404, {"error": "not_found", "error_description": f"No endpoint {method} {path}"}
    )


def _page(status: int, title: str, inner: str) -> Response:
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f5f8fa; margin: 0; }}
main {{ max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem;
        border-radius: 1rem; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.3rem; }} .muted {{ color: #536471; font-size: .9rem; }}
button {{ font: inherit; padding: .6rem 1.2rem; border-radius: 2rem; border: 1px solid #cfd9de;
          background: #fff; cursor: pointer; }}
button.primary {{ background: #0f1419; color: #fff; border-color: #0f1419; }}
select {{ font: inherit; padding: .4rem; width: 100%; margin: .5rem 0 1rem; }}
</style></head>
<body><main>{inner}</main></body></html>"""
    return Response(status, doc.encode(), "text/html; charset=utf-8")


def _error_page(message: str) -> Response:
    return _page(
        400, "Something went wrong", f"<h1>Something went wrong</h1><p>{html.escape(message)}</p>"
    )


def _redirect(uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response(302, b"", "text/plain; charset=utf-8", {"Location": location})


def authorize(app: App, params: dict[str, str], submitted: bool = False) -> Response:
    missing = [p for p in AUTHORIZE_PARAMS[:6] if not params.get(p)]
    if missing:
        return _error_page(f"Missing required parameter(s): {', '.join(missing)}.")
    if params["response_type"] != "code":
        return _error_page("response_type must be 'code'.")
    method = params.get("code_challenge_method") or "plain"
    if method not in ("S256", "plain"):
        return _error_page("code_challenge_method must be S256 or plain.")
    if urlsplit(params["redirect_uri"]).scheme not in ("http", "https"):
        return _error_page("redirect_uri must be an http(s) URL.")
    scopes = frozenset(params["scope"].split())
    unknown = sorted(scopes - set(ALL_SCOPES))
    if unknown:
        return _error_page(f"Unknown scope(s): {', '.join(unknown)}.")

    username = params.get("xsim_approve") or (params.get("username") if submitted else None)
    if submitted and params.get("action") == "deny":
        return _redirect(
            params["redirect_uri"], {"error": "access_denied", "state": params["state"]}
        )
    if username:
        if username.lower() in ("1", "true", "yes"):
            username = app.world.company.username
        user = app.world.user_by_username(username.lstrip("@"))
        if user is None:
            return _error_page(f"No simulated account @{username}.")
        code = app.tokens.issue_code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=scopes,
            challenge=params["code_challenge"],
            method=method,
            user_id=user.id,
            now=app.now(),
        )
        return _redirect(params["redirect_uri"], {"state": params["state"], "code": code})
    return _consent(app, params, scopes)


def _consent(app: App, params: dict[str, str], scopes: frozenset[str]) -> Response:
    world = app.world
    accounts = [world.company, world.support]
    for role in ("prospect", "customer", "journalist"):
        accounts += [world.users[uid] for uid in world.roles.get(role, [])[:5]]
    options = "".join(
        f'<option value="{html.escape(u.username)}">'
        f"{html.escape(u.name)} (@{html.escape(u.username)})</option>"
        for u in accounts
    )
    hidden = "".join(
        f'<input type="hidden" name="{p}" value="{html.escape(params.get(p, ""))}">'
        for p in AUTHORIZE_PARAMS
    )
    scope_list = "".join(f"<li>{html.escape(s)}</li>" for s in sorted(scopes))
    inner = f"""<h1>{html.escape(params["client_id"])} wants to access your X account</h1>
<p class="muted">xsim, the simulated X. Choose which simulated account signs in.</p>
<form method="post" action="/i/oauth2/authorize">{hidden}
<label for="username">Account</label>
<select id="username" name="username">{options}</select>
<p class="muted">It will be able to:</p><ul class="muted">{scope_list}</ul>
<button class="primary" type="submit" name="action" value="approve">Authorize app</button>
<button type="submit" name="action" value="deny">Cancel</button>
</form>"""
    return _page(200, "Authorize app – xsim", inner)


def _client_id(headers: Message | dict[str, str], form: dict[str, str]) -> str:
    auth = headers.get("Authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
        except ValueError:
            decoded = ""
        return decoded.partition(":")[0]
    return form.get("client_id", "")


def token(app: App, headers: Message | dict[str, str], body: bytes) -> Response:
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    client_id = _client_id(headers, form)
    now = app.now()
    state = app.limits.hit("POST /2/oauth2/token", f"client:{client_id}", TOKEN_LIMIT, now)
    limit_headers = state.headers()
    try:
        if not client_id:
            raise OAuthError("invalid_request", "Missing required parameter [client_id].")
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            answer = app.tokens.exchange_code(
                code=form.get("code", ""),
                verifier=form.get("code_verifier", ""),
                redirect_uri=form.get("redirect_uri", ""),
                client_id=client_id,
                now=now,
            )
        elif grant_type == "refresh_token":
            answer = app.tokens.refresh_tokens(
                refresh_token=form.get("refresh_token", ""), client_id=client_id, now=now
            )
        else:
            raise OAuthError(
                "unsupported_grant_type", "Value passed for the grant type was invalid."
            )
    except OAuthError as exc:
        return Response.json(
            exc.status,
            {"error": exc.error, "error_description": exc.description},
            headers=limit_headers,
        )
    return Response.json(200, answer, headers=limit_headers)
