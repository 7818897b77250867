"""API tokens: made, checked and revoked here; stored only as a SHA-256 digest.

A token is `sop_` and 43 URL-safe characters (256 random bits), so one SHA-256 is the
right hash: a slow password hash buys nothing against a secret nobody can guess, and
looking a token up by its digest costs one indexed query. The user's password hash is
fingerprinted into the token, so a password change (or a reset) ends every token made
before it, and a deactivated user's tokens stop at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from socialops.models import ApiToken, AuditEvent, User
from socialops.services import audit_record, lockout_record
from socialops.throttle import client_ip, rule_api_token, throttle_fail, throttle_locked

KEY_PREFIX = "sop_"
VISIBLE_CHARS = 12  # "sop_" and 8 random characters: tells tokens apart, guesses nothing
# Recording each use would write a row per API request; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Not for the audit trail: the digest is what a presented secret is looked up by.
SECRET_FIELDS = frozenset({"digest", "password_fingerprint"})


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(password_hash: str) -> str:
    """Changes whenever the password does; the stored hash is salted, so this reveals
    nothing the users table does not."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret: the only moment the secret exists outside the caller."""

    token: ApiToken
    key: str


# --- services ---------------------------------------------------------------------------


def api_token_create(
    *,
    user: User,
    name: str = "",
    scopes: list[str] | None = None,
    expires_at=None,
) -> IssuedToken:
    """Make a token for `user`, beside any they have."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:VISIBLE_CHARS],
        digest=token_digest(key),
        password_fingerprint=password_fingerprint(user.password),
        scopes=scopes or [],
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_rotate(*, user: User) -> IssuedToken:
    """Replace the user's tokens with a new one ("Replace" on the API token page): the old
    ones stop working at once. The audit row names the new token by its prefix; its digest
    and the password fingerprint stay out of the trail."""
    ApiToken.objects.filter(user=user).delete()
    issued = api_token_create(user=user)
    audit_record(
        actor=user,
        action=AuditEvent.Action.CREATE,
        instance=issued.token,
        exclude=SECRET_FIELDS,
    )
    return issued


def api_token_revoke(*, user: User, token_id: int) -> None:
    ApiToken.objects.filter(user=user, pk=token_id).delete()


def api_token_carry_over(*, user: User, previous_password_hash: str) -> int:
    """The password hash was upgraded, not changed: keep the tokens made under it."""
    return ApiToken.objects.filter(
        user=user, password_fingerprint=password_fingerprint(previous_password_hash)
    ).update(password_fingerprint=password_fingerprint(user.password))


def api_token_authenticate(*, key: str, ip_address: str | None = None) -> ApiToken | None:
    """The live token with this secret, or None (unknown, expired, password changed since,
    user deactivated). Records when and from where it was last used."""
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    if token is None:
        return None
    now = timezone.now()
    user = token.user
    if (
        not user.is_active
        or (token.expires_at is not None and token.expires_at <= now)
        or not secrets.compare_digest(
            token.password_fingerprint, password_fingerprint(user.password)
        )
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
        token.last_used_at, token.last_used_ip = now, ip_address
    return token


# --- selectors --------------------------------------------------------------------------


def api_token_list(*, user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


# --- DRF --------------------------------------------------------------------------------


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <secret>`; answers the `WWW-Authenticate: Token` challenge."""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        # Guessing is limited per address: after API_TOKEN_FAILURE_LIMIT bad tokens every
        # token from there is refused (429) until the lock ends, a valid one included, or
        # the answers would still tell a guess that hit.
        address = client_ip(request)
        rule = rule_api_token()
        lock = throttle_locked(rule=rule, subject=address)
        if lock is None:
            token = api_token_authenticate(key=key, ip_address=address)
            if token is not None:
                return token.user, token
            lock = throttle_fail(rule=rule, subject=address)
            if lock is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            if lock.new:
                lockout_record(scope="api-token", username="", ip_address=address, until=lock.until)
        raise exceptions.Throttled(
            wait=lock.retry_after, detail="Too many invalid API tokens from this address."
        )

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "socialops.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A token from the API token page, sent as "Token <secret>".',
        }
