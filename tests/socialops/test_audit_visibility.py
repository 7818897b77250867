"""The audit trail follows the pages' rules: the rows about a private list name it and its
X list, so they are its owner's alone — not a colleague's, not an organisation admin's —
in the Django admin and on the department page; no other admin page shows the list."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from listening import services as listening_services
from socialops.models import AuditEvent
from socialops.selectors import audit_event_list
from tests.factories import (
    SourceRunFactory,
    SourceTweetFactory,
    TweetFactory,
    XAccountFactory,
    XUserFactory,
)

pytestmark = pytest.mark.django_db

LIST_NAME = "Dana prospects Q3"
LIST_ID = 918273645546372819
OPEN_NAME = "Brand search"


@pytest.fixture
def private_source(owner, marketing):
    """A private list made, renamed and paused through the services, as on the pages."""
    account = XAccountFactory()
    source = listening_services.source_create(
        actor=owner,
        name=LIST_NAME,
        kind="list",
        x_list_id=LIST_ID,
        is_private=True,
        account=account,
        department=marketing,
    )
    source = listening_services.source_update(actor=owner, source=source, name=f"{LIST_NAME} (hot)")
    listening_services.source_update(actor=owner, source=source, enabled=False)
    listening_services.source_create(
        actor=owner, name=OPEN_NAME, kind="search", query="brightline", account=account
    )
    return source


def staff(user):
    """Let a user into the admin with the right to read the audit trail."""
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return user


def audit_page(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/socialops/auditevent/")
    assert response.status_code == 200
    return response.content.decode()


def test_services_mark_the_private_sources_rows(owner, private_source):
    rows = AuditEvent.objects.filter(object_type="listening.source", object_id=private_source.pk)
    assert rows.count() == 3
    assert set(rows.values_list("private_to", flat=True)) == {owner.pk}
    open_row = AuditEvent.objects.get(object_type="listening.source", object_repr=OPEN_NAME)
    assert open_row.private_to is None


def test_admin_audit_trail_shows_them_to_the_owner_only(
    client, owner, colleague, admin_user, private_source
):
    mine = audit_page(client, staff(owner))
    assert LIST_NAME in mine and OPEN_NAME in mine

    for outsider in (staff(colleague), admin_user):
        theirs = audit_page(client, outsider)
        assert OPEN_NAME in theirs
        assert LIST_NAME not in theirs
        row = AuditEvent.objects.filter(private_to=owner).first()
        change = client.get(f"/admin/socialops/auditevent/{row.pk}/change/")
        assert change.status_code == 302  # "doesn't exist" for them
        searched = client.get("/admin/socialops/auditevent/", {"q": "Dana"}).content.decode()
        assert LIST_NAME not in searched

    client.force_login(owner)
    row = AuditEvent.objects.filter(private_to=owner, action="create").first()
    detail = client.get(f"/admin/socialops/auditevent/{row.pk}/change/").content.decode()
    assert str(LIST_ID) in detail


def test_department_activity_hides_them_from_others(
    client, owner, colleague, admin_user, marketing, private_source
):
    url = reverse("departments:detail", args=[marketing.slug])
    client.force_login(owner)
    assert LIST_NAME in client.get(url).content.decode()
    for outsider in (colleague, admin_user):
        client.force_login(outsider)
        assert LIST_NAME not in client.get(url).content.decode()
        assert not audit_event_list(user=outsider).filter(object_id=private_source.pk).exists()


def test_no_admin_page_shows_the_private_list_to_an_admin(client, admin_user, private_source):
    """Every changelist the admin site has, as an organisation admin: neither the list's
    name, nor its X list id, nor a post only it read, nor its author (the prospect), nor its
    runs."""
    prospect = XUserFactory(username="dana_prospect_cfo")
    secret = TweetFactory(
        id=1_987_654_321_012_345_678, text="Dana is evaluating vendors", author=prospect
    )
    SourceTweetFactory(source=private_source, tweet=secret)
    SourceRunFactory(source=private_source)
    client.force_login(admin_user)

    pages = 0
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(_request(admin_user)):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for leak in (LIST_NAME, str(LIST_ID), str(secret.pk), secret.text, prospect.username):
            assert leak not in body, f"{url} shows {leak!r}"
        pages += 1
    assert pages >= 8

    for url in (
        f"/admin/listening/source/{private_source.pk}/change/",
        f"/admin/listening/tweet/{secret.pk}/change/",
        f"/admin/listening/xuser/{prospect.pk}/change/",
    ):
        assert client.get(url).status_code == 302, url


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_migration_marks_rows_written_before(owner, private_source):
    """Rows from before `private_to` existed: a live private source's, and a deleted one's
    (known private from its own rows), become their owner's."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("socialops.migrations.0003_audit_private_to")
    gone = listening_services.source_create(
        actor=owner,
        name="Old list",
        kind="list",
        x_list_id=5,
        is_private=True,
        account=private_source.account,
    )
    listening_services.source_delete(actor=owner, source=gone)
    AuditEvent.objects.update(private_to=None)

    migration.mark_private_source_rows(apps, None)

    marked = AuditEvent.objects.filter(private_to=owner)
    assert marked.filter(object_id=private_source.pk).count() == 3
    assert marked.filter(object_repr="Old list").count() == 2
    assert not AuditEvent.objects.filter(object_repr=OPEN_NAME, private_to__isnull=False)
