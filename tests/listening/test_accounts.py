"""Connecting an X account through OAuth 2.0 with PKCE, and refreshing its token, against
the bundled simulator."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from listening import client as x
from listening.client import account_token
from listening.demo import _authorise
from listening.models import XAccount
from listening.services import account_connect
from socialops.models import AuditEvent
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(xsim, settings, admin_user):  # noqa: F811
    settings.X_API_BASE_URL = xsim.url
    tokens = _authorise(xsim.url, "brightline")
    me = x.XClient(token=tokens.access_token).me()
    return account_connect(actor=admin_user, tokens=tokens, me=me)


def test_connect_stores_tokens_encrypted(connected):
    assert connected.username == "brightline" and connected.refresh_token
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM listening_xaccount WHERE id = %s",
            [connected.pk],
        )
        stored_access, stored_refresh = cursor.fetchone()
    assert connected.access_token not in stored_access
    assert connected.refresh_token not in stored_refresh
    assert XAccount.objects.get(pk=connected.pk).access_token == connected.access_token


def test_the_audit_trail_never_holds_a_token(connected, xsim, admin_user):  # noqa: F811
    # Connected, then reconnected with new tokens: both rows say a token is set, not what.
    tokens = _authorise(xsim.url, "brightline")
    me = x.XClient(token=tokens.access_token).me()
    account_connect(actor=admin_user, tokens=tokens, me=me)
    events = list(AuditEvent.objects.filter(object_type="listening.xaccount").order_by("pk"))
    assert [e.action for e in events] == [AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE]
    assert events[0].changes["access_token"] == "(secret)"
    assert events[0].changes["refresh_token"] == "(secret)"
    stored = json.dumps([e.changes for e in events])
    for token in (connected.access_token, connected.refresh_token, tokens.access_token):
        assert token not in stored


def test_token_is_refreshed_before_it_expires(connected):
    old_access, old_refresh = connected.access_token, connected.refresh_token
    XAccount.objects.filter(pk=connected.pk).update(
        token_expires_at=timezone.now() + dt.timedelta(minutes=2)
    )
    account = XAccount.objects.get(pk=connected.pk)
    fresh = account_token(account=account)
    account.refresh_from_db()
    assert fresh == account.access_token != old_access
    assert account.refresh_token != old_refresh  # X rotates refresh tokens
    assert account.token_expires_at > timezone.now() + dt.timedelta(hours=1)
    assert x.XClient(token=fresh).me().username == "brightline"
    # Far from expiry: no refresh, the same token.
    assert account_token(account=account) == fresh


def test_a_revoked_refresh_token_means_reconnect(connected, xsim):  # noqa: F811
    XAccount.objects.filter(pk=connected.pk).update(
        token_expires_at=timezone.now(), refresh_token="no-longer-valid"
    )
    with pytest.raises(x.AuthRevoked):
        account_token(account=XAccount.objects.get(pk=connected.pk))


def test_only_admins_connect(owner, xsim, settings):  # noqa: F811
    from django.core.exceptions import PermissionDenied

    settings.X_API_BASE_URL = xsim.url
    tokens = _authorise(xsim.url, "brightline")
    with pytest.raises(PermissionDenied):
        account_connect(actor=owner, tokens=tokens, me=x.XClient(token=tokens.access_token).me())


def test_a_refused_token_is_refreshed_once_before_giving_up(connected, xsim):  # noqa: F811
    from listening.ingest import source_run
    from listening.models import Source

    # X ends the token early (here: the simulator forgets it); the refresh token still works.
    xsim.request("POST", "/2/oauth2/revoke", form={"token": connected.access_token})
    source = Source.objects.create(name="Mentions", kind="mentions", account=connected)
    assert source_run(source_id=source.pk).status == "ok"
    connected.refresh_from_db()
    assert connected.status == XAccount.Status.OK


def test_audit_rows_written_before_hold_no_token_after_the_migration():
    scrub = importlib.import_module("socialops.migrations.0005_audit_scrub_x_tokens").scrub
    created = AuditEvent.objects.create(
        action=AuditEvent.Action.CREATE,
        object_type="listening.xaccount",
        object_id="1",
        changes={"username": "brightline", "access_token": "a-secret", "refresh_token": ""},
    )
    updated = AuditEvent.objects.create(
        action=AuditEvent.Action.UPDATE,
        object_type="listening.xaccount",
        object_id="1",
        changes={"access_token": ["a-secret", "b-secret"], "status": ["ok", "reconnect"]},
    )
    scrub(django_apps, None)
    created.refresh_from_db()
    updated.refresh_from_db()
    assert created.changes == {
        "username": "brightline",
        "access_token": "(secret)",
        "refresh_token": "",
    }
    assert updated.changes == {
        "access_token": ["(secret)", "(secret)"],
        "status": ["ok", "reconnect"],
    }
