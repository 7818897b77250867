"""Pages and API: a touch, a move, the board, upsert by CRM id, field errors, the stage
rules and the inbox hook."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from listening.models import Tweet, XAccount, XUser
from prospects import services
from prospects.models import Interaction, Prospect
from tests.prospects.conftest import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def prospect(rep):
    XUser.objects.create(id=555, username="ceo_ann", name="Ann", fetched_at=timezone.now())
    plist = services.prospect_list_create(actor=rep, name="Targets")
    return services.prospect_add(actor=rep, prospect_list=plist, handle="@ceo_ann").prospect


def test_log_a_touch_and_move_on_the_board(client, rep, prospect):
    client.force_login(rep)
    page = client.get(prospect.get_absolute_url())
    assert page.status_code == 200 and "Identified" in page.content.decode()
    response = client.post(
        reverse("prospects:prospect_touch", args=[prospect.pk]), {"kind": "call", "text": "Q3"}
    )
    assert response.status_code == 302
    assert prospect.interactions.get().kind == "call"
    board = client.get(reverse("prospects:board"))
    assert "ceo_ann" in board.content.decode()
    moved = client.post(
        reverse("prospects:prospect_move", args=[prospect.pk]),
        {"stage": "meeting", "board": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert moved.status_code == 200 and 'id="board"' in moved.content.decode()
    prospect.refresh_from_db()
    assert prospect.stage.key == "meeting"
    assert prospect.stage_changes.first().actor == rep
    bad = client.post(
        reverse("prospects:prospect_move", args=[prospect.pk]), {"stage": "nope", "board": "1"}
    )
    assert bad.status_code == 422


def test_api_upsert_by_crm_id_and_field_errors(rep, prospect):
    a = api(rep)
    plist = prospect.memberships_list = prospect.list_memberships.first().prospect_list
    updated = a.post(
        "/api/v1/prospects/", {"crm_id": "SF-1", "handle": "ceo_ann", "list": plist.pk}
    )
    assert updated.status_code == 400 and "handle" in updated.json()  # already on the list
    services.prospect_update(actor=rep, prospect=prospect, crm_id="SF-1")
    again = a.post(
        "/api/v1/prospects/", {"crm_id": "SF-1", "company": "Ann Co", "stage": "engaged"}
    )
    assert again.status_code == 200 and again.json()["company"] == "Ann Co"
    assert again.json()["stage"] == "engaged"
    bad_stage = a.post("/api/v1/prospects/", {"crm_id": "SF-1", "stage": "nirvana"})
    assert bad_stage.status_code == 400 and "stage" in bad_stage.json()
    unknown = a.post(
        "/api/v1/prospects/", {"crm_id": "SF-2", "handle": "nobody_zz", "list": plist.pk}
    )
    assert unknown.status_code == 400 and unknown.json() == {
        "handle": ["X has no user @nobody_zz."]
    }
    assert Prospect.objects.count() == 1
    touch = a.post(
        "/api/v1/interactions/", {"prospect": prospect.pk, "kind": "email", "text": "Sent deck"}
    )
    assert touch.status_code == 201
    listed = a.get("/api/v1/interactions/", {"prospect": prospect.pk}).json()
    assert [i["kind"] for i in listed] == ["email"]


def test_stage_rules_reply_and_dm_exchange(rep, prospect):
    account = XAccount.objects.create(username="brightline", x_user_id=42, access_token="t")
    XUser.objects.create(id=42, username="brightline", fetched_at=timezone.now())
    now = timezone.now()
    Tweet.objects.create(
        id=9001, author_id=555, text="@brightline interesting", in_reply_to_user_id=42,
        created_at=now, first_seen_at=now, updated_at=now,
    )  # fmt: skip
    assert services.interactions_collect(prospect_ids=[prospect.pk]) == 1
    prospect.refresh_from_db()
    assert prospect.stage.key == "engaged"
    # The inbox hook: we DM, they answer: a conversation.
    services.interaction_record(x_user_id=555, kind="dm_sent", occurred_at=now, ref="dm:1")
    services.interaction_record(x_user_id=555, kind="dm_received", occurred_at=now, ref="dm:2")
    services.interaction_record(x_user_id=555, kind="dm_received", occurred_at=now, ref="dm:2")
    prospect.refresh_from_db()
    assert prospect.stage.key == "conversation"
    assert prospect.interactions.filter(kind=Interaction.Kind.DM_RECEIVED).count() == 1
    assert account.pk  # our account's id is what makes the reply "to us"
