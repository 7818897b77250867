"""Scoped API tokens: a token does what its scopes allow and its user may do, never more;
401 says why a token is refused, 403 names the missing scope; the tokens page lets a
person make and revoke tokens, an admin all of them, nobody else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from socialops.models import ApiToken, AuditEvent
from socialops.tokens import api_resources, api_token_create, api_token_revoke
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")
# A value each path parameter's URL pattern takes (a review is looked up by its week).
PATH_VALUES = {"week": "2026-W49"}


def api(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def write_operations() -> list[tuple[str, str]]:
    """Every write the API documents, its path parameters filled with 1."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if method in WRITES:
                filled = re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m[1], "1"), path)
                found.append((method, filled))
    return found


def test_the_schema_has_writes_to_try():
    operations = write_operations()
    assert len(operations) > 30
    assert ("post", "/api/v1/conversions/") in operations


def test_a_read_only_token_cannot_write_anywhere(admin_user):
    """An admin's token (the user may do everything) that reads every resource: every
    write in the schema is refused before anything is looked up or changed."""
    key = api_token_create(user=admin_user, scopes={"*": "read"}).key
    client = api(key)
    audit_before = AuditEvent.objects.count()
    for method, path in write_operations():
        answer = getattr(client, method)(path, {}, format="json")
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert ":write" in answer.json()["detail"], (method, path)
    assert AuditEvent.objects.count() == audit_before
    # And it still reads.
    assert client.get("/api/v1/departments/").status_code == 200


def test_missing_scope_is_named(owner, marketing):
    key = api_token_create(user=owner, scopes={"conversions": "write"}).key
    answer = api(key).get("/api/v1/departments/")
    assert answer.status_code == 403
    assert "departments:read" in answer.json()["detail"]
    assert api(key).get("/api/v1/conversions/").status_code == 200


def test_a_resource_named_overrides_every_resource(owner, marketing):
    key = api_token_create(user=owner, scopes={"*": "write", "departments": "none"}).key
    assert api(key).get("/api/v1/departments/").status_code == 403
    assert api(key).get("/api/v1/campaigns/").status_code == 200


def test_scopes_never_add_to_the_users_rights(marketing):
    """A viewer cannot record conversions; a write scope does not change that."""
    viewer = UserFactory()
    MembershipFactory(user=viewer, department=marketing, role="viewer")
    key = api_token_create(user=viewer, scopes={"conversions": "write"}).key
    answer = api(key).post(
        "/api/v1/conversions/",
        {"value": "10.00", "occurred_at": timezone.now().isoformat()},
        format="json",
    )
    assert answer.status_code == 403
    assert "scope" not in answer.json()["detail"]


class TestRefusals:
    def test_unknown_token(self, db):
        answer = api("sop_nothing-like-this").get("/api/v1/departments/")
        assert answer.status_code == 401
        assert answer.json()["detail"].startswith("Unknown API token")
        assert answer["WWW-Authenticate"] == "Token"

    def test_revoked_token(self, owner, marketing):
        issued = api_token_create(user=owner)
        api_token_revoke(actor=owner, token=issued.token)
        answer = api(issued.key).get("/api/v1/departments/")
        assert answer.status_code == 401
        assert "revoked on" in answer.json()["detail"]

    def test_expiry_in_the_past_is_refused(self, owner):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as caught:
            api_token_create(user=owner, expires_at=timezone.now() - dt.timedelta(days=1))
        assert "expires_at" in caught.value.message_dict

    def test_unknown_scopes_are_refused(self, owner):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as caught:
            api_token_create(user=owner, scopes={"nothing": "read", "conversions": "admin"})
        assert len(caught.value.message_dict["scopes"]) == 2


class TestPage:
    URL = "/settings/api-token/"

    def test_create_with_scopes_and_expiry(self, client, owner, marketing):
        client.force_login(owner)
        answer = client.post(
            self.URL,
            {
                "name": "HubSpot",
                "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
                "scope__all": "none",
                "scope_conversions": "write",
                "scope_prospects": "read",
            },
        )
        assert answer.status_code == 200
        issued = answer.context["issued"]
        assert issued.token.scopes == {"conversions": "write", "prospects": "read"}
        assert issued.token.expires_at is not None
        assert AuditEvent.objects.filter(
            object_type="socialops.apitoken", object_id=str(issued.token.pk)
        ).exists()
        assert b"HubSpot" in client.get(self.URL).content

    def test_bad_input_is_a_field_error(self, client, owner):
        client.force_login(owner)
        answer = client.post(
            self.URL, {"name": "", "scope__all": "none", "expires_on": "2001-01-01"}
        )
        assert answer.status_code == 400
        form = answer.context["form"]
        assert "name" in form.errors
        assert not ApiToken.objects.exists()
        answer = client.post(self.URL, {"name": "x", "scope__all": "none"})
        assert answer.status_code == 400
        assert "read or write access" in str(answer.context["form"].errors)

    def test_every_resource_is_offered(self, client, owner):
        client.force_login(owner)
        page = client.get(self.URL).content.decode()
        for resource in api_resources():
            assert f'name="scope_{resource}"' in page

    def test_revoke_owner_colleague_admin(self, client, owner, colleague, admin_user):
        issued = api_token_create(user=owner, name="CRM")
        url = f"{self.URL}{issued.token.pk}/revoke/"
        client.force_login(colleague)
        assert client.post(url).status_code == 404
        assert api(issued.key).get("/api/v1/departments/").status_code == 200

        client.force_login(owner)
        assert client.post(url).status_code == 302
        assert api(issued.key).get("/api/v1/departments/").status_code == 401

        other = api_token_create(user=colleague, name="Other")
        client.force_login(admin_user)
        assert client.post(f"{self.URL}{other.token.pk}/revoke/").status_code == 302
        other.token.refresh_from_db()
        assert other.token.revoked_at is not None
        assert b"revoked" in client.get(self.URL).content


def test_every_viewset_holds_tokens_to_their_scopes(rf):
    """Also those naming their own permission classes."""
    from socialops.api import router
    from socialops.tokens import TokenScopes, api_resources

    api_resources()  # the URLconf loaded: every app's viewsets registered
    for prefix, viewset, _ in router.registry:
        view = viewset()
        view.request = rf.get("/")
        assert any(isinstance(p, TokenScopes) for p in view.get_permissions()), prefix
