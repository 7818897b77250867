"""API tokens: only a hash is stored, the secret is shown once, and a token ends with a
password change, a deactivation or its expiry; DRF's clear-text tokens are migrated."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from socialops.models import ApiToken, AuditEvent
from socialops.tokens import api_token_create, api_token_rotate
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/v1/departments/"
NEW = {"name": "CRM", "scope__all": "write"}


class FastPBKDF2(PBKDF2PasswordHasher):
    """A hasher other than the tests' MD5, cheap enough to upgrade hashes in a test."""

    iterations = 2


def api(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def stored_values(token: ApiToken) -> list[str]:
    return [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]


class TestTokenPage:
    def test_secret_is_shown_once_and_never_stored(self, client, owner, marketing):
        client.force_login(owner)

        created = client.post("/settings/api-token/", NEW)
        key = created.context["issued"].key
        assert key.encode() in created.content
        assert "no-store" in created["Cache-Control"]
        token = ApiToken.objects.get(user=owner)
        assert key not in stored_values(token)
        assert token.digest == hashlib.sha256(key.encode()).hexdigest()

        later = client.get("/settings/api-token/")
        assert key.encode() not in later.content
        assert token.prefix.encode() in later.content
        assert api(key).get(URL).status_code == 200

    def test_page_shows_ones_own_tokens_and_the_admin_all(
        self, client, owner, colleague, admin_user
    ):
        issued = api_token_create(user=owner, name="Owner's CRM")
        client.force_login(colleague)
        page = client.get("/settings/api-token/").content
        assert b"No token yet" in page and issued.token.prefix.encode() not in page
        client.force_login(admin_user)
        page = client.get("/settings/api-token/").content
        assert issued.token.prefix.encode() in page and b"Everybody" in page


class TestTokenLife:
    def test_password_change_ends_the_token(self, owner, marketing):
        key = api_token_create(user=owner).key
        assert api(key).get(URL).status_code == 200

        owner.set_password("another long passphrase")
        owner.save()

        response = api(key).get(URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    def test_password_reset_through_the_pages_ends_the_token(self, client, owner, marketing):
        key = api_token_create(user=owner).key
        client.force_login(owner)
        response = client.post(
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a fresh long passphrase",
                "new_password2": "a fresh long passphrase",
            },
        )
        assert response.status_code == 302
        assert api(key).get(URL).status_code == 401

    def test_deactivated_user_is_refused(self, owner, marketing):
        key = api_token_create(user=owner).key
        owner.is_active = False
        owner.save()

        assert api(key).get(URL).status_code == 401

    def test_expired_token_is_refused(self, owner, marketing):
        issued = api_token_create(user=owner, expires_at=timezone.now() + dt.timedelta(hours=1))
        ApiToken.objects.filter(pk=issued.token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )

        answer = api(issued.key).get(URL)
        assert answer.status_code == 401
        assert "expired on" in answer.json()["detail"]

    def test_hash_upgrade_at_sign_in_keeps_the_token(self, client, owner, marketing, settings):
        key = api_token_create(user=owner).key
        settings.PASSWORD_HASHERS = [
            "tests.socialops.test_tokens.FastPBKDF2",
            "django.contrib.auth.hashers.MD5PasswordHasher",
        ]
        before = owner.password

        response = client.post(
            "/accounts/login/", {"username": owner.username, "password": PASSWORD}
        )

        assert response.status_code == 302
        owner.refresh_from_db()
        assert owner.password != before and owner.password.startswith("pbkdf2_sha256$")
        assert api(key).get(URL).status_code == 200

    def test_use_is_recorded(self, owner, marketing):
        issued = api_token_create(user=owner)
        api(issued.key).get(URL, REMOTE_ADDR="127.0.0.9")

        issued.token.refresh_from_db()
        assert issued.token.last_used_at is not None
        assert issued.token.last_used_ip == "127.0.0.9"


class TestRotation:
    def test_rotating_ends_the_old_key_and_writes_one_audit_row(self, owner, marketing):
        old = api_token_create(user=owner)
        assert api(old.key).get(URL).status_code == 200

        new = api_token_rotate(user=owner)

        assert api(old.key).get(URL).status_code == 401
        assert api(new.key).get(URL).status_code == 200
        assert list(ApiToken.objects.filter(user=owner)) == [new.token]
        [event] = AuditEvent.objects.filter(object_type="socialops.apitoken")
        assert event.actor == owner and event.action == AuditEvent.Action.CREATE
        assert event.object_id == str(new.token.pk)
        assert event.changes["prefix"] == new.token.prefix
        # Nothing a secret is looked up by, or derived from, goes into the trail.
        assert "digest" not in event.changes and "password_fingerprint" not in event.changes
        assert new.token.digest not in str(event.changes)

    def test_the_page_adds_a_token_beside_the_others(self, client, owner, marketing):
        old = api_token_create(user=owner)
        client.force_login(owner)

        new_key = client.post("/settings/api-token/", NEW).context["issued"].key

        # Many tokens per user: a new one no longer ends the old one ("Replace" did).
        assert api(old.key).get(URL).status_code == 200
        assert api(new_key).get(URL).status_code == 200
        assert AuditEvent.objects.filter(object_type="socialops.apitoken").count() == 1


class TestAdmin:
    def test_admin_lists_prefixes_never_secrets(self, client, owner, colleague, admin_user):
        key = api_token_create(user=owner).key
        client.force_login(admin_user)

        listing = client.get("/admin/socialops/apitoken/")
        assert listing.status_code == 200
        assert key[:12].encode() in listing.content
        assert key.encode() not in listing.content
        assert client.get("/admin/socialops/apitoken/add/").status_code == 403
        # DRF's authtoken admin listed every key in clear: it is gone.
        assert client.get("/admin/authtoken/tokenproxy/").status_code == 404

        for user in (owner, colleague):
            client.force_login(user)
            assert client.get("/admin/socialops/apitoken/").status_code == 302


def test_schema_documents_the_token_scheme(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "apiKey" and scheme["name"] == "Authorization"


def test_drf_tokens_are_hashed_by_the_migration(owner, marketing):
    """A key DRF's authtoken stored in clear keeps working, and its table is dropped."""
    migration = importlib.import_module("socialops.migrations.0002_api_token")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id bigint NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [old_key, timezone.now(), owner.pk],
        )

    # Not entered as a context: SQLite's editor refuses to start inside the test's transaction.
    migration.hash_drf_tokens(apps, connection.schema_editor())
    # And as the next migrations go on: a token from before scopes has its user's rights.
    importlib.import_module("socialops.migrations.0008_api_token_scopes").all_rights(apps, None)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=owner)
    assert token.prefix == old_key[:6] and old_key not in stored_values(token)
    assert api(old_key).get(URL).status_code == 200
