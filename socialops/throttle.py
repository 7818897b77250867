"""Brute-force limits kept in the cache: count failures per subject (an address, an
account) and lock the subject out for a while once it has too many.

Used for bad API tokens and password-reset requests; sign-in is django-axes' (see
socialops/auth.py). The state lives in Django's cache, so it is shared by every web
process on Redis and by the processes of one host on the embedded file cache. On Redis
the count is atomic (INCR); the file cache's incr is a read and a write, so two requests
at the same instant may count once: a limit of 20 can let 21 through, never a flood.

A lock stores the moment it ends and is compared with `_now()`, so it ends on time
whatever the backend's expiry does (the cache entry outlives it by a minute).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from socialops.services import lockout_record


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class Rule:
    """`limit` failures (or uses) per `window` seconds; one more locks the subject out for
    `lockout` seconds."""

    name: str
    limit: int
    window: int
    lockout: int


@dataclass(frozen=True)
class Lock:
    until: datetime
    new: bool  # this failure started the lock (audit it once)

    @property
    def retry_after(self) -> int:
        return max(1, int(self.until.timestamp() - _now() + 0.999))


def rule_api_token() -> Rule:
    minutes = settings.LOCKOUT_MINUTES * 60
    return Rule("api-token", settings.API_TOKEN_FAILURE_LIMIT, minutes, minutes)


def rule_password_reset_account() -> Rule:
    return Rule("reset-account", settings.PASSWORD_RESET_LIMIT, 3600, 3600)


def rule_password_reset_address() -> Rule:
    # An office behind one address asks for more resets than one person does.
    return Rule("reset-address", settings.PASSWORD_RESET_LIMIT * 4, 3600, 3600)


def _key(rule: Rule, subject: str) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    # THROTTLE_NAMESPACE: tests give each test its own, as they share one Redis.
    return f"throttle:{settings.THROTTLE_NAMESPACE}:{rule.name}:{digest}"


def throttle_locked(*, rule: Rule, subject: str) -> Lock | None:
    """The subject's current lock, if it has one."""
    until = cache.get(_key(rule, subject) + ":lock")
    if until is None or until <= _now():
        return None
    return Lock(until=datetime.fromtimestamp(until, tz=UTC), new=False)


def throttle_fail(*, rule: Rule, subject: str) -> Lock | None:
    """Count one failure (or one use of a limited action); the lock it starts or finds."""
    current = throttle_locked(rule=rule, subject=subject)
    if current is not None:
        return current
    key = _key(rule, subject)
    cache.add(key + ":n", 0, timeout=rule.window)
    try:
        count = cache.incr(key + ":n")
    except ValueError:  # expired between add and incr
        cache.set(key + ":n", 1, timeout=rule.window)
        count = 1
    if count <= rule.limit:
        return None
    until = _now() + rule.lockout
    cache.set(key + ":lock", until, timeout=rule.lockout + 60)
    cache.delete(key + ":n")
    return Lock(until=datetime.fromtimestamp(until, tz=UTC), new=True)


def throttle_reset(*, rule: Rule, subject: str) -> None:
    key = _key(rule, subject)
    cache.delete_many([key + ":n", key + ":lock"])


def password_reset_attempt(*, email: str, ip_address: str) -> Lock | None:
    """Count a request for a reset e-mail against its address, then its account; the lock
    that refuses it, if any (the same whether or not an account has that e-mail)."""
    for rule, subject in (
        (rule_password_reset_address(), ip_address),
        (rule_password_reset_account(), email.strip().lower()),
    ):
        lock = throttle_fail(rule=rule, subject=subject)
        if lock is not None:
            if lock.new:
                lockout_record(
                    scope="password-reset", username=email, ip_address=ip_address, until=lock.until
                )
            return lock
    return None


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the entry
    of X-Forwarded-For that the outermost trusted proxy wrote (entries further left are
    the client's to forge)."""
    address = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            address = hops[-count]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "0.0.0.0"
