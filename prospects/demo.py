"""The demo's prospect lists: Sofia and Sam (Sales) each own a list mirroring a private X
list of @brightline, with prospects at several stages, replies, a DM exchange, logged
calls and one converted customer. Run once the demo account is connected (demo_x)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from listening import client as x
from listening.models import XAccount, XUser
from prospects import services
from prospects.models import ProspectList
from socialops.models import User


def demo_prospects_load(*, account: XAccount, out=print) -> int:
    if ProspectList.objects.exists():
        return 0
    reps = {u.username: u for u in User.objects.filter(username__in=["sofia", "sam"])}
    if len(reps) < 2:
        out("No Sofia and Sam (Sales) yet: load the demo organisation first.")
        return 0
    api = x.client_for(account)
    private = next((item for item in api.owned_lists(account.x_user_id) if item.private), None)
    if private is None:
        return 0
    sofia_list = services.prospect_list_create(
        actor=reps["sofia"], name="Key prospects", account=account, x_list_id=private.id
    )
    sam_list = services.prospect_list_create(
        actor=reps["sam"], name="Sam's enterprise deals", account=account, create_on_x=True
    )

    members = list(api.list_members(private.id))
    for record in members:
        services.xuser_store(record)
    now = timezone.now()
    stages = ["engaged", "conversation", "meeting", "opportunity", "customer", "following"]
    for i, record in enumerate(members[:6]):
        member = services.prospect_add(
            actor=reps["sofia"], prospect_list=sofia_list, handle=record.username
        )
        prospect = member.prospect
        services.touch_log(
            actor=reps["sofia"],
            prospect=prospect,
            kind="call",
            text="Intro call: priorities for the quarter.",
            occurred_at=now - timedelta(days=6 - i),
        )
        services.interaction_record(
            x_user_id=record.id,
            kind="dm_sent",
            occurred_at=now - timedelta(days=5 - i, hours=3),
            ref=f"demo-dm:{record.id}:1",
            text="Thanks for the chat — sending the deck.",
            actor=reps["sofia"],
        )
        if i % 2 == 0:
            services.interaction_record(
                x_user_id=record.id,
                kind="dm_received",
                occurred_at=now - timedelta(days=5 - i),
                ref=f"demo-dm:{record.id}:2",
                text="Got it, let's talk next week.",
            )
        services.prospect_move(
            actor=reps["sofia"],
            prospect=prospect,
            stage=services.stage_by_key(stages[i]),
            reason="Demo pipeline.",
        )
    for record in members[6:10]:
        services.prospect_add(actor=reps["sam"], prospect_list=sam_list, handle=record.username)
    count = XUser.objects.filter(prospects__isnull=False).distinct().count()
    out(f"Loaded the demo prospect lists: {count} prospects for Sofia and Sam.")
    return count
