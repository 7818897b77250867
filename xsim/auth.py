"""Who is calling: the app bearer token, and user tokens from OAuth 2.0 with PKCE.

Mirrors X's authorization-code flow: ``/i/oauth2/authorize`` hands out a one-time code
bound to the client, redirect URI, scopes and PKCE challenge; ``/2/oauth2/token``
exchanges it (checking the verifier) for an access token valid 2 hours and, only when
``offline.access`` was granted, a refresh token. Refreshing rotates the refresh token,
as X does, so a refresh token works once. Expiry follows the simulated clock.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

ACCESS_TOKEN_TTL = 7200
CODE_TTL = 600
ALL_SCOPES = (
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.read",
    "follows.read",
    "follows.write",
    "offline.access",
    "space.read",
    "mute.read",
    "mute.write",
    "like.read",
    "like.write",
    "list.read",
    "list.write",
    "block.read",
    "block.write",
    "bookmark.read",
    "bookmark.write",
    "dm.read",
    "dm.write",
    "media.write",
)


class OAuthError(Exception):
    """An OAuth 2.0 error answer (RFC 6749 section 5.2), as X's token endpoint gives."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request."""

    kind: str  # "app" or "user"
    user_id: int | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    @property
    def rate_key(self) -> str:
        # X counts user-context limits per user (across that user's tokens) and app-only
        # limits per app.
        return f"user:{self.user_id}" if self.is_user else "app"


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    challenge: str
    method: str
    user_id: int
    expires_at: float


@dataclass(slots=True)
class _Grant:
    user_id: int
    scopes: frozenset[str]
    client_id: str
    expires_at: float = 0.0


@dataclass
class TokenStore:
    app_bearer: str
    token_ttl: int = ACCESS_TOKEN_TTL
    codes: dict[str, _Code] = field(default_factory=dict)
    access: dict[str, _Grant] = field(default_factory=dict)
    refresh: dict[str, _Grant] = field(default_factory=dict)

    def principal(self, authorization: str | None, now: float) -> Principal | None:
        """The caller behind an Authorization header, or None (X answers 401)."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        token = token.strip()
        if secrets.compare_digest(token, self.app_bearer):
            return Principal("app")
        grant = self.access.get(token)
        if grant is None or grant.expires_at <= now:
            return None
        return Principal("user", grant.user_id, grant.scopes)

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        scopes: frozenset[str],
        challenge: str,
        method: str,
        user_id: int,
        now: float,
    ) -> str:
        code = secrets.token_urlsafe(32)
        self.codes[code] = _Code(
            client_id, redirect_uri, scopes, challenge, method, user_id, now + CODE_TTL
        )
        return code

    def issue_tokens(
        self,
        *,
        user_id: int,
        scopes: frozenset[str],
        client_id: str,
        now: float,
        ttl: int | None = None,
    ) -> dict[str, object]:
        ttl = self.token_ttl if ttl is None else ttl
        access = secrets.token_urlsafe(48)
        self.access[access] = _Grant(user_id, scopes, client_id, now + ttl)
        answer: dict[str, object] = {
            "token_type": "bearer",
            "expires_in": ttl,
            "access_token": access,
            "scope": " ".join(s for s in ALL_SCOPES if s in scopes),
        }
        if "offline.access" in scopes:
            refresh = secrets.token_urlsafe(48)
            self.refresh[refresh] = _Grant(user_id, scopes, client_id)
            answer["refresh_token"] = refresh
        return answer

    def exchange_code(
        self, *, code: str, verifier: str, redirect_uri: str, client_id: str, now: float
    ) -> dict[str, object]:
        grant = self.codes.pop(code, None)  # one use, even when the exchange fails
        if grant is None or grant.expires_at <= now:
            raise OAuthError(
                "invalid_request", "Value passed for the authorization code was invalid."
            )
        if client_id and client_id != grant.client_id:
            raise OAuthError("invalid_client", "Missing valid authorization header", 401)
        if redirect_uri != grant.redirect_uri:
            raise OAuthError(
                "invalid_request",
                "Value passed for the redirect uri did not match the uri of the "
                "authorization code.",
            )
        if not verifier:
            raise OAuthError("invalid_request", "Missing required parameter [code_verifier].")
        if not secrets.compare_digest(pkce_challenge(verifier, grant.method), grant.challenge):
            raise OAuthError(
                "invalid_request",
                "Value passed for the code verifier did not match the code challenge.",
            )
        return self.issue_tokens(
            user_id=grant.user_id, scopes=grant.scopes, client_id=grant.client_id, now=now
        )

    def refresh_tokens(
        self, *, refresh_token: str, client_id: str, now: float
    ) -> dict[str, object]:
        grant = self.refresh.pop(refresh_token, None)
        if grant is None:
            raise OAuthError("invalid_request", "Value passed for the token was invalid.")
        if client_id and client_id != grant.client_id:
            self.refresh[refresh_token] = grant
            raise OAuthError("invalid_client", "Missing valid authorization header", 401)
        return self.issue_tokens(
            user_id=grant.user_id, scopes=grant.scopes, client_id=grant.client_id, now=now
        )

    def revoke(self, token: str) -> None:
        self.access.pop(token, None)
        self.refresh.pop(token, None)


def pkce_challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
