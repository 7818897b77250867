"""API tokens: made, checked, scoped and revoked here; stored only as a SHA-256 digest.

A user has as many named tokens as they like (one per integration). Each carries scopes
per API resource — none, read or write, like Stripe's restricted keys — and acts with
its user's rights narrowed to them: TokenScopes refuses, per request, what the scopes do
not cover (403 naming the scope), and the services refuse what the user may not do. A
token that is unknown, expired, revoked or ended by a password change is a 401 saying
which.

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

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from socialops.models import ApiToken, AuditEvent, User
from socialops.permissions import require
from socialops.services import audit_record, lockout_record, snapshot
from socialops.throttle import client_ip, rule_api_token, throttle_fail, throttle_locked

KEY_PREFIX = "sop_"
VISIBLE_CHARS = 12  # "sop_" and 8 random characters: tells tokens apart, guesses nothing
# Recording each use would write a row per API request; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Not for the audit trail: the digest is what a presented secret is looked up by.
SECRET_FIELDS = frozenset({"digest", "password_fingerprint"})
ALL = "*"  # the scope key for every resource a token's scopes do not name
LEVELS = (ApiToken.Level.NONE, ApiToken.Level.READ, ApiToken.Level.WRITE)
FULL_ACCESS = {ALL: ApiToken.Level.WRITE}


def api_resources() -> list[str]:
    """Every resource a scope can name: the API router's prefixes ("conversions",
    "metrics/series", …). The URLconf is loaded first: each app's api module registers
    its viewsets on the router when imported."""
    from django.urls import get_resolver

    # In here: DRF imports this module (the authentication class) while it builds its
    # views, and socialops.api needs those views.
    from socialops.api import router

    get_resolver().url_patterns  # noqa: B018 (imports the app api modules)
    return sorted({prefix for prefix, _viewset, _basename in router.registry})


def resource_of(view) -> str | None:
    """The router prefix a DRF view was registered under (None off the router)."""
    # In here: DRF imports this module while it builds the views socialops.api needs.
    from socialops.api import router

    basename = getattr(view, "basename", None)
    for prefix, _viewset, name in router.registry:
        if name == basename:
            return prefix
    return None


def scopes_clean(scopes: dict | None) -> dict[str, str]:
    """`scopes` as stored: known resources (or "*") to "read" or "write"; "none" left out.
    An unknown resource or level is a field error."""
    if scopes is None:
        return dict(FULL_ACCESS)
    if not isinstance(scopes, dict):
        raise ValidationError({"scopes": ["Give scopes as resource: none, read or write."]})
    known = set(api_resources()) | {ALL}
    errors = [
        f"{resource}: unknown resource."
        if resource not in known
        else f"{resource}: {level!r} is not a level (none, read or write)."
        for resource, level in scopes.items()
        if resource not in known or level not in LEVELS
    ]
    if errors:
        raise ValidationError({"scopes": errors})
    # "none" is kept only where it narrows "*"; elsewhere it is what a missing key says.
    everything = scopes.get(ALL, ApiToken.Level.NONE)
    cleaned = {
        resource: str(level)
        for resource, level in scopes.items()
        if level != ApiToken.Level.NONE or (resource != ALL and everything != level)
    }
    if not any(level != ApiToken.Level.NONE for level in cleaned.values()):
        raise ValidationError({"scopes": ["Give the token read or write access to something."]})
    return cleaned


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
    scopes: dict[str, str] | None = None,
    expires_at=None,
    audit: bool = False,
) -> IssuedToken:
    """Make a token for `user`, beside any they have. Without `scopes` it has all of the
    user's rights ({"*": "write"}); an expiry must lie in the future."""
    scopes = scopes_clean(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["Choose a moment in the future."]})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:VISIBLE_CHARS],
        digest=token_digest(key),
        password_fingerprint=password_fingerprint(user.password),
        scopes=scopes,
        expires_at=expires_at,
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        if audit:
            audit_record(
                actor=user, action=AuditEvent.Action.CREATE, instance=token, exclude=SECRET_FIELDS
            )
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


def can_manage_token(user: User, token: ApiToken) -> bool:
    return user.is_org_admin or token.user_id == user.pk


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Stop a token at once (its owner or an admin). The row stays, so the page and the
    401 can say when it was revoked; revoking twice changes nothing."""
    require(can_manage_token(actor, token), "You cannot revoke this token.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        before = snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            instance=token,
            before=before,
            exclude=SECRET_FIELDS,
        )
    return token


def api_token_carry_over(*, user: User, previous_password_hash: str) -> int:
    """The password hash was upgraded, not changed: keep the tokens made under it."""
    return ApiToken.objects.filter(
        user=user, password_fingerprint=password_fingerprint(previous_password_hash)
    ).update(password_fingerprint=password_fingerprint(user.password))


UNKNOWN = "Unknown API token: check that it was copied whole, or create one on the API tokens page."


def _moment(value) -> str:
    return date_format(timezone.localtime(value), "j M Y, H:i T")


def api_token_check(*, key: str, ip_address: str | None = None) -> tuple[ApiToken | None, str]:
    """The live token with this secret and "", or None and why it is refused (unknown,
    expired, revoked, ended by a password change, user deactivated). Records when and
    from where a live token was last used."""
    if not key or len(key) > 200:
        return None, UNKNOWN
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    if token is None:
        return None, UNKNOWN
    now = timezone.now()
    user = token.user
    if token.revoked_at is not None:
        return None, f"This API token was revoked on {_moment(token.revoked_at)}."
    if token.expires_at is not None and token.expires_at <= now:
        return None, f"This API token expired on {_moment(token.expires_at)}; create a new one."
    if not user.is_active:
        return None, "This API token's user is deactivated."
    if not secrets.compare_digest(token.password_fingerprint, password_fingerprint(user.password)):
        return None, "This API token ended when its user's password changed; create a new one."
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
        token.last_used_at, token.last_used_ip = now, ip_address
    return token, ""


def api_token_authenticate(*, key: str, ip_address: str | None = None) -> ApiToken | None:
    """The live token with this secret, or None (api_token_check() says why)."""
    return api_token_check(key=key, ip_address=ip_address)[0]


# --- selectors --------------------------------------------------------------------------


def api_token_list(*, user: User):
    """The user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_visible(*, user: User):
    """The tokens `user` may see and revoke: their own; an organisation admin's, all."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return tokens if user.is_org_admin else tokens.filter(user=user)


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
            token, refusal = api_token_check(key=key, ip_address=address)
            if token is not None:
                return token.user, token
            lock = throttle_fail(rule=rule, subject=address)
            if lock is None:
                raise exceptions.AuthenticationFailed(refusal)
            if lock.new:
                lockout_record(scope="api-token", username="", ip_address=address, until=lock.until)
        raise exceptions.Throttled(
            wait=lock.retry_after, detail="Too many invalid API tokens from this address."
        )

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenScopes(permissions.BasePermission):
    """A request made with a token must be covered by its scopes: GET, HEAD and OPTIONS
    need read on the resource, everything else write. A session (a person in the
    browser) is not narrowed. Checked before the view looks anything up, so a refused
    write touches nothing; the user's own rights are the services' to check."""

    message = "This API token's scopes do not allow this."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = "read" if request.method in permissions.SAFE_METHODS else "write"
        resource = resource_of(view)
        level = token.level(resource) if resource else token.scopes.get(ALL, "none")
        if level == ApiToken.Level.WRITE or (level == ApiToken.Level.READ and needed == "read"):
            return True
        name = resource or "this endpoint"
        self.message = (
            f"This API token lacks the scope {name}:{needed} (it has {name}: {level}). "
            "Create a token with that scope on the API tokens page."
        )
        return False


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
