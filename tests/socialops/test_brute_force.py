"""Brute force: sign-in locks an account and an address after repeated failures (the
right password is refused while locked, and works when the lock ends), password-reset
e-mails and bad API tokens are limited per address (and account), the API answers 429
with Retry-After, and every lockout is in the audit trail. The cache-kept limits are
tried on the embedded file cache and on Redis."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from axes.models import AccessAttempt
from django.core import mail
from rest_framework.test import APIClient

from socialops import throttle
from socialops.models import AuditEvent
from socialops.tokens import api_token_create
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
API = "/api/v1/departments/"


def sign_in(client, username, password, address="10.1.1.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def lockouts(scope):
    return AuditEvent.objects.filter(action="lockout", changes__scope=scope)


@pytest.fixture(params=["file", "redis"])
def cache_backend(request, settings, tmp_path):
    """The limits kept in the cache, on both caches SocialOps runs with."""
    if request.param == "file":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    else:
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("REDIS_URL is not set")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "socialops",
            }
        }
    return request.param


class TestSignIn:
    def test_thirty_wrong_passwords_lock_the_account_until_the_period_ends(
        self, client, owner, settings
    ):
        for _ in range(30):
            response = sign_in(client, owner.username, "wrong password")
        assert response.status_code == 429

        refused = sign_in(client, owner.username, PASSWORD)
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session
        page = refused.content.decode()
        assert "Too many failed sign-ins" in page and "try again at" in page
        assert 0 < int(refused["Retry-After"]) <= settings.LOCKOUT_MINUTES * 60

        # Move the clock: the failures are now as old as the lockout period.
        AccessAttempt.objects.update(
            attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME
        )
        assert sign_in(client, owner.username, PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(owner.pk)

    def test_the_account_is_locked_from_every_address(self, client, owner, settings):
        for n in range(settings.SIGNIN_FAILURE_LIMIT):
            sign_in(client, owner.username, "wrong", address=f"10.2.0.{n + 1}")

        assert sign_in(client, owner.username, PASSWORD, address="10.3.0.1").status_code == 429

    def test_an_address_is_locked_across_accounts(self, client, owner, colleague, settings):
        for n in range(settings.SIGNIN_FAILURE_LIMIT):
            sign_in(client, f"someone{n}", "guess", address="10.4.0.1")

        assert sign_in(client, colleague.username, PASSWORD, address="10.4.0.1").status_code == 429
        # The accounts themselves are not locked: from elsewhere they sign in.
        assert sign_in(client, colleague.username, PASSWORD, address="10.5.0.1").status_code == 302

    def test_a_few_typos_do_not_lock(self, client, owner, settings):
        for _ in range(settings.SIGNIN_FAILURE_LIMIT - 1):
            assert sign_in(client, owner.username, "typo").status_code == 200
        assert sign_in(client, owner.username, PASSWORD).status_code == 302

    def test_the_admin_sign_in_shares_the_lock(self, client, admin_user, settings):
        for _ in range(settings.SIGNIN_FAILURE_LIMIT):
            sign_in(client, admin_user.username, "wrong")

        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": admin_user.username, "password": PASSWORD},
            REMOTE_ADDR="10.1.1.1",
        )
        assert response.status_code == 429

    def test_a_lockout_is_audited_once(self, client, owner):
        for _ in range(30):
            sign_in(client, owner.username, "wrong password")

        rows = lockouts("sign-in")
        assert rows.count() == 1
        row = rows.get()
        assert row.object_type == "socialops.user" and row.object_id == str(owner.pk)
        assert row.changes["ip_address"] == "10.1.1.1"


class TestPasswordReset:
    def test_reset_mails_are_limited_per_account(self, client, owner, settings, cache_backend):
        owner.email = "owner@example.com"
        owner.save()
        limit = settings.PASSWORD_RESET_LIMIT
        for n in range(limit):
            response = client.post(RESET, {"email": "Owner@example.com"}, REMOTE_ADDR=f"10.6.0.{n}")
            assert response.status_code == 302
        assert len(mail.outbox) == limit

        refused = client.post(RESET, {"email": "owner@example.com"}, REMOTE_ADDR="10.6.1.1")
        assert refused.status_code == 429
        assert "Too many reset requests" in refused.content.decode()
        assert int(refused["Retry-After"]) > 0
        assert len(mail.outbox) == limit
        assert lockouts("password-reset").count() == 1

    def test_reset_requests_are_limited_per_address(self, client, settings, cache_backend):
        for n in range(settings.PASSWORD_RESET_LIMIT * 4):
            assert client.post(RESET, {"email": f"p{n}@example.com"}).status_code == 302

        assert client.post(RESET, {"email": "new@example.com"}).status_code == 429
        assert (
            client.post(RESET, {"email": "new@example.com"}, REMOTE_ADDR="10.7.0.1").status_code
            == 302
        )


class TestApiTokens:
    def test_bad_tokens_get_429_with_retry_after_then_unlock(
        self, owner, marketing, settings, monkeypatch, cache_backend
    ):
        good = api_token_create(user=owner).key
        guesser = APIClient(REMOTE_ADDR="10.8.0.1")
        for n in range(settings.API_TOKEN_FAILURE_LIMIT):
            guesser.credentials(HTTP_AUTHORIZATION=f"Token sop_guess{n}")
            assert guesser.get(API).status_code == 401

        guesser.credentials(HTTP_AUTHORIZATION="Token sop_one-more")
        locked = guesser.get(API)
        assert locked.status_code == 429
        assert 0 < int(locked["Retry-After"]) <= settings.LOCKOUT_MINUTES * 60
        # While locked even a valid token is refused from there (else a hit would show)…
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {good}")
        assert guesser.get(API).status_code == 429
        # …and served from anywhere else.
        assert (
            APIClient(REMOTE_ADDR="10.9.0.1", HTTP_AUTHORIZATION=f"Token {good}")
            .get(API)
            .status_code
            == 200
        )
        assert lockouts("api-token").count() == 1

        # Move the clock past the lock.
        later = throttle._now() + settings.LOCKOUT_MINUTES * 60 + 1
        monkeypatch.setattr(throttle, "_now", lambda: later)
        assert guesser.get(API).status_code == 200

    def test_a_session_is_not_limited_by_token_guesses(self, client, owner, marketing, settings):
        guesser = APIClient()
        for n in range(settings.API_TOKEN_FAILURE_LIMIT + 1):
            guesser.credentials(HTTP_AUTHORIZATION=f"Token sop_guess{n}")
            guesser.get(API)
        client.force_login(owner)
        assert client.get(API).status_code == 200


def test_forwarded_address_counts_only_behind_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert throttle.client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert throttle.client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer hops than proxies: not forwarded by them
    assert throttle.client_ip(request) == "127.0.0.1"


def test_password_reset_still_sends_mail(client, owner):
    owner.email = "someone@example.com"
    owner.save()
    UserFactory(email="other@example.com")

    assert client.post(RESET, {"email": "someone@example.com"}).status_code == 302
    assert len(mail.outbox) == 1 and "someone@example.com" in mail.outbox[0].to
