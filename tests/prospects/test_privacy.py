"""The privacy matrix: a rep's list and its prospects are seen by the rep and the person
it is shared with — not by a colleague in Sales, a member of another department, or an
organisation admin — on every page, API endpoint, CSV, search, autocomplete and admin
page. The Sales lead sees aggregates only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from listening.models import XUser
from prospects import services
from prospects.models import Interaction, ListShare
from tests.prospects.conftest import api

pytestmark = pytest.mark.django_db

SECRET = "Dana Zephyrine"
HANDLE = "dana_zephyr"
COMPANY = "Zephyr Holdings"
LIST_NAME = "Quiet targets Q3"


def _reveals(body: str) -> bool:
    return any(secret in body for secret in (SECRET, HANDLE, LIST_NAME))


@pytest.fixture
def world(rep, shared_with):
    XUser.objects.create(id=777001, username=HANDLE, name="Dana", fetched_at=timezone.now())
    plist = services.prospect_list_create(actor=rep, name=LIST_NAME)
    member = services.prospect_add(
        actor=rep, prospect_list=plist, handle=HANDLE, name=SECRET, company=COMPANY
    )
    services.touch_log(actor=rep, prospect=member.prospect, kind="call", text="Budget in Q3")
    services.list_share(actor=rep, prospect_list=plist, user=shared_with, access="read")
    return plist, member.prospect


def _pages(plist, prospect):
    return [
        reverse("prospects:lists"),
        reverse("prospects:board") + f"?rep={plist.owner_id}",
        reverse("prospects:search") + f"?q={HANDLE}",
        reverse("prospects:search") + f"?q={COMPANY}",
        reverse("prospects:list_suggest", args=[plist.pk]) + "?handle=dana",
    ]


def _sees(client, user, plist, prospect) -> dict[str, bool]:
    client.force_login(user)
    seen = {}
    for url in _pages(plist, prospect):
        response = client.get(url)
        body = response.content.decode()
        if "search" in url:  # the page repeats the query: look for the result itself
            body = body.replace(f'value="{HANDLE}"', "").replace(f"“{HANDLE}”", "")
        seen[url] = _reveals(body) or prospect.get_absolute_url() in body
    seen["list page"] = client.get(plist.get_absolute_url()).status_code == 200
    seen["prospect page"] = client.get(prospect.get_absolute_url()).status_code == 200
    seen["csv"] = client.get(reverse("prospects:list_export", args=[plist.pk])).status_code == 200
    a = api(user)
    seen["api lists"] = plist.pk in [
        r["id"] for r in a.get("/api/v1/prospect-lists/").json()["results"]
    ]
    seen["api prospects"] = prospect.pk in [
        r["id"] for r in a.get("/api/v1/prospects/").json()["results"]
    ]
    seen["api prospect"] = a.get(f"/api/v1/prospects/{prospect.pk}/").status_code == 200
    seen["api interactions"] = bool(a.get("/api/v1/interactions/").json())
    return seen


def test_owner_and_shared_person_see_it(client, world, rep, shared_with):
    plist, prospect = world
    for user in (rep, shared_with):
        seen = _sees(client, user, plist, prospect)
        # Autocomplete offers stored X users the user may know of (not a prospect list's).
        seen.pop(reverse("prospects:list_suggest", args=[plist.pk]) + "?handle=dana")
        assert all(seen.values()), (user, seen)


@pytest.mark.parametrize("who", ["sales_colleague", "outsider", "admin", "sales_lead"])
def test_nobody_else_finds_it_anywhere(request, client, world, who):
    plist, prospect = world
    user = request.getfixturevalue(who)
    seen = _sees(client, user, plist, prospect)
    assert not any(seen.values()), (who, seen)
    # The admin site, too.
    if user.is_staff:
        client.force_login(user)
        for url in [
            reverse("admin:prospects_prospect_changelist"),
            reverse("admin:prospects_prospectlist_changelist"),
            reverse("admin:prospects_interaction_changelist"),
        ]:
            body = client.get(url).content.decode()
            assert not _reveals(body), url
        assert client.get(
            reverse("admin:prospects_prospect_change", args=[prospect.pk])
        ).status_code in (302, 404)
    # Nor may they change it.
    a = api(user)
    assert (
        a.post(
            "/api/v1/interactions/", {"prospect": prospect.pk, "kind": "note"}, format="json"
        ).status_code
        == 400
    )
    client.force_login(user)
    assert (
        client.post(
            reverse("prospects:prospect_move", args=[prospect.pk]), {"stage": "meeting"}
        ).status_code
        == 404
    )
    assert Interaction.objects.filter(prospect=prospect).count() == 1


def test_a_read_share_cannot_change_it(client, world, shared_with):
    plist, prospect = world
    client.force_login(shared_with)
    response = client.post(
        reverse("prospects:prospect_move", args=[prospect.pk]), {"stage": "meeting"}
    )
    assert response.status_code == 403
    assert client.post(plist.get_absolute_url(), {"handle": "someone"}).status_code == 403


def test_a_department_share_with_edit(client, world, rep, sales, sales_colleague):
    plist, prospect = world
    services.list_share(
        actor=rep, prospect_list=plist, department=sales, access=ListShare.Access.EDIT
    )
    client.force_login(sales_colleague)
    assert client.get(prospect.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("prospects:prospect_move", args=[prospect.pk]), {"stage": "meeting"}
    )
    assert response.status_code == 302
    prospect.refresh_from_db()
    assert prospect.stage.key == "meeting"


def test_the_sales_lead_sees_counts_not_names(client, world, sales_lead, outsider, admin):
    client.force_login(sales_lead)
    body = client.get(reverse("prospects:summary")).content.decode()
    assert "sofia" in body.lower() or "Sofia" in body
    assert SECRET not in body and HANDLE not in body and COMPANY not in body
    client.force_login(admin)
    assert client.get(reverse("prospects:summary")).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("prospects:summary")).status_code == 403


def test_the_audit_trail_keeps_it_private(world, rep, admin):
    from socialops.selectors import audit_event_list

    assert not audit_event_list(user=admin).filter(object_type__startswith="prospects.").exists()
    assert audit_event_list(user=rep).filter(object_type="prospects.prospect").exists()
