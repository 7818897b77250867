"""A prospect list mirrors its private X list both ways, against the simulator: adds and
removals on either side, a 429 in the middle of a sync, history kept, nobody twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from prospects import services
from prospects.models import ListMember, MemberEvent, Prospect, ProspectList
from prospects.sync import list_sync
from tests.prospects.conftest import x_members

pytestmark = pytest.mark.django_db


def _prospects(xsim, n: int) -> list[str]:
    return [u["username"] for u in xsim.world()["people"]["prospect"][:n]]


def test_added_here_is_added_on_x(xsim, rep, account, mirrored, x_list):
    handles = _prospects(xsim, 3)
    for handle in handles:
        services.prospect_add(actor=rep, prospect_list=mirrored, handle=f"@{handle}")
    assert set(mirrored.members.values_list("state", flat=True)) == {"pending_add"}
    result = list_sync(list_id=mirrored.pk)
    assert result.status == "ok" and result.pushed == 3
    on_x = x_members(xsim, x_list, account.access_token)
    assert sorted(on_x) == sorted(mirrored.members.values_list("prospect__x_user_id", flat=True))
    assert set(mirrored.members.values_list("state", flat=True)) == {"active"}
    mirrored.refresh_from_db()
    assert mirrored.sync_state == "ok" and mirrored.x_member_count == 3


def test_removed_here_is_removed_on_x_and_history_kept(xsim, rep, account, mirrored, x_list):
    a, b = _prospects(xsim, 2)
    services.prospect_add(actor=rep, prospect_list=mirrored, handle=a)
    member_b = services.prospect_add(actor=rep, prospect_list=mirrored, handle=b)
    list_sync(list_id=mirrored.pk)
    services.prospect_remove(actor=rep, member=member_b)
    list_sync(list_id=mirrored.pk)
    assert x_members(xsim, x_list, account.access_token) == [int(xsim.user_id(a))]
    assert list(mirrored.members.values_list("prospect__x_user__username", flat=True)) == [a]
    history = list(
        MemberEvent.objects.filter(prospect_list=mirrored)
        .order_by("at", "pk")
        .values_list("prospect__x_user__username", "action", "origin")
    )
    assert history == [(a, "added", "product"), (b, "added", "product"), (b, "removed", "product")]
    assert Prospect.objects.filter(x_user__username=b, owner=rep).exists()  # still a prospect


def test_added_and_removed_on_x_are_picked_up(xsim, rep, account, mirrored, x_list):
    a, b = _prospects(xsim, 2)
    services.prospect_add(actor=rep, prospect_list=mirrored, handle=a)
    list_sync(list_id=mirrored.pk)
    token = account.access_token
    b_id = xsim.user_id(b)
    assert xsim.post(f"/2/lists/{x_list}/members", {"user_id": b_id}, token=token).status == 200
    a_id = xsim.user_id(a)
    gone = xsim.request("DELETE", f"/2/lists/{x_list}/members/{a_id}", token=token)
    assert gone.status == 200
    result = list_sync(list_id=mirrored.pk)
    assert (result.joined, result.left) == (1, 1)
    assert list(mirrored.members.values_list("prospect__x_user__username", flat=True)) == [b]
    joined = Prospect.objects.get(owner=rep, x_user_id=int(b_id))
    assert joined.stage.key == "identified"
    assert list(
        MemberEvent.objects.filter(prospect_list=mirrored, origin="x")
        .order_by("pk")
        .values_list("prospect__x_user__username", "action")
    ) == [(b, "added"), (a, "removed")]
    # Again: nothing changes, nobody twice.
    assert list_sync(list_id=mirrored.pk).joined == 0
    assert mirrored.members.count() == 1


def test_429_mid_sync_waits_for_the_reset_and_loses_nothing(xsim, rep, account, mirrored, x_list):
    handles = _prospects(xsim, 4)
    for handle in handles:
        services.prospect_add(actor=rep, prospect_list=mirrored, handle=handle)
    # The third add is refused: two are pushed and kept.
    xsim.fail(path=f"/2/lists/{x_list}/members", method="POST", count=2, delay_ms=1)
    xsim.fail(429, path=f"/2/lists/{x_list}/members", method="POST", count=1, reset_in=600)
    result = list_sync(list_id=mirrored.pk)
    assert result.status == "rate_limited"
    mirrored.refresh_from_db()
    assert mirrored.sync_state == "rate_limited"
    assert mirrored.rate_limited_until > timezone.now()
    assert mirrored.next_sync_at == mirrored.rate_limited_until
    assert mirrored.pk not in services.prospect_lists_due()
    pending = mirrored.members.filter(state="pending_add").count()
    assert 0 < pending < 4
    # At the reset, the next sync finishes the job.
    assert mirrored.pk in services.prospect_lists_due(now=mirrored.next_sync_at)
    assert list_sync(list_id=mirrored.pk).status == "ok"
    on_x = x_members(xsim, x_list, account.access_token)
    assert len(on_x) == len(set(on_x)) == 4
    assert mirrored.members.filter(state="active").count() == 4


def test_limits_and_bad_handles_are_field_errors(xsim, rep, mirrored, monkeypatch):
    with pytest.raises(ValidationError) as unknown:
        services.prospect_add(actor=rep, prospect_list=mirrored, handle="@nobody_here_x")
    assert unknown.value.message_dict == {"handle": ["X has no user @nobody_here_x."]}
    (handle,) = _prospects(xsim, 1)
    services.prospect_add(actor=rep, prospect_list=mirrored, handle=handle)
    with pytest.raises(ValidationError) as twice:
        services.prospect_add(actor=rep, prospect_list=mirrored, handle=handle.upper())
    assert "already on this list" in twice.value.message_dict["handle"][0]
    monkeypatch.setattr(services, "X_LIST_MAX_MEMBERS", 1)
    (other,) = _prospects(xsim, 2)[1:]
    with pytest.raises(ValidationError) as full:
        services.prospect_add(actor=rep, prospect_list=mirrored, handle=other)
    assert "handle" in full.value.message_dict
    assert ListMember.objects.count() == 1 and Prospect.objects.count() == 1


def test_a_list_created_here_is_created_on_x(xsim, rep, account):
    created = services.prospect_list_create(
        actor=rep, name="New targets", account=account, create_on_x=True
    )
    lists = {
        int(item["id"]): item
        for item in xsim.get(
            f"/2/users/{account.x_user_id}/owned_lists",
            token=account.access_token,
            **{"list.fields": "private"},
        ).json["data"]
    }
    assert lists[created.x_list_id]["private"] is True
    assert ProspectList.objects.get(pk=created.pk).is_mirrored
