"""Mirroring a prospect list with its private X list, both ways.

One sync at a time per list (a lease taken with a conditional UPDATE; a dead worker's
lease runs out after X_SOURCE_LEASE_SECONDS), in three steps:

1. Push what changed here: each member added here (pending_add) is added on X, each one
   removed here (pending_remove) removed on X, one commit per member. X answers the same
   to an add of a member already there, so a worker killed between X's answer and the
   commit only makes the next run ask again: never a member twice.
2. Read every member on X (100 a page, 5,000 at most).
3. In one transaction, make the list what X says: a member added on X joins (and becomes
   the owner's prospect), one removed on X leaves; both go into the history. A change
   made here since step 1 (still pending) is left for the next run. Killed before the
   commit, nothing of the read is kept and the next run reads again.

A 429 keeps what was pushed and waits for X's reset (the list's page says until when);
members added or removed on X are picked up within 15 minutes (SYNC_INTERVAL, and beat
looks for due lists every minute).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from listening import client as x
from listening.models import XAccount
from prospects import services
from prospects.models import (
    SYNC_INTERVAL,
    ListMember,
    MemberEvent,
    ProspectList,
)

log = logging.getLogger(__name__)

RETRY_AFTER_ERROR = timedelta(minutes=2)


class LeaseLost(Exception):
    """Another sync took the list over (this one outlived its lease)."""


@dataclass
class SyncResult:
    status: str
    pushed: int = 0
    joined: int = 0
    left: int = 0
    error: str = ""


def _lease() -> timedelta:
    return timedelta(seconds=settings.X_SOURCE_LEASE_SECONDS)


def list_claim(*, list_id: int, now: datetime | None = None) -> str | None:
    now = now or timezone.now()
    token = str(uuid.uuid4())
    claimed = ProspectList.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=list_id, x_list_id__isnull=False
    ).update(lease_token=token, lease_until=now + _lease())
    return token if claimed else None


def _renew(list_id: int, token: str) -> None:
    renewed = ProspectList.objects.filter(pk=list_id, lease_token=token).update(
        lease_until=timezone.now() + _lease()
    )
    if not renewed:
        raise LeaseLost


def _release(list_id: int, token: str, **fields) -> None:
    ProspectList.objects.filter(pk=list_id, lease_token=token).update(
        lease_token="", lease_until=None, **fields
    )


def list_sync(*, list_id: int) -> SyncResult | None:
    """Sync one mirrored list; None when another sync holds it."""
    token = list_claim(list_id=list_id)
    if token is None:
        return None
    prospect_list = ProspectList.objects.select_related("account", "owner").get(pk=list_id)
    account = prospect_list.account
    result = SyncResult(status=ProspectList.SyncState.OK)
    now = timezone.now()
    try:
        if account is None:
            raise x.Permanent("the list's X account is gone")
        result.pushed = _push(prospect_list, account, token)
        members = x.with_fresh_token(account, lambda c: c.list_members(prospect_list.x_list_id))
        result.joined, result.left = _reconcile(prospect_list, members, token)
        services.interactions_collect(
            prospect_ids=prospect_list.members.values_list("prospect_id", flat=True)
        )
    except LeaseLost:
        return SyncResult(status="lease_lost")
    except x.RateLimited as exc:
        _release(
            list_id,
            token,
            sync_state=ProspectList.SyncState.RATE_LIMITED,
            rate_limited_until=exc.reset_at,
            next_sync_at=exc.reset_at,
            last_error=str(exc)[:500],
        )
        return SyncResult(status=ProspectList.SyncState.RATE_LIMITED, error=str(exc))
    except x.AuthRevoked as exc:
        XAccount.objects.filter(pk=account.pk).update(
            status=XAccount.Status.NEEDS_RECONNECTION, last_error=str(exc)[:500]
        )
        _release(
            list_id,
            token,
            sync_state=ProspectList.SyncState.AUTH,
            next_sync_at=now + SYNC_INTERVAL,
            last_error=str(exc)[:500],
        )
        return SyncResult(status=ProspectList.SyncState.AUTH, error=str(exc))
    except x.XError as exc:
        _release(
            list_id,
            token,
            sync_state=ProspectList.SyncState.ERROR,
            next_sync_at=now + RETRY_AFTER_ERROR,
            last_error=str(exc)[:500],
        )
        return SyncResult(status=ProspectList.SyncState.ERROR, error=str(exc))
    _release(
        list_id,
        token,
        sync_state=ProspectList.SyncState.OK,
        rate_limited_until=None,
        last_synced_at=timezone.now(),
        next_sync_at=timezone.now() + SYNC_INTERVAL,
        last_error="",
        x_member_count=len(members),
    )
    return result


def _push(prospect_list: ProspectList, account: XAccount, token: str) -> int:
    pending = list(
        prospect_list.members.filter(
            state__in=[ListMember.State.PENDING_ADD, ListMember.State.PENDING_REMOVE]
        )
        .select_related("prospect")
        .order_by("pk")
    )
    pushed = 0
    for member in pending:
        _renew(prospect_list.pk, token)
        x_user_id = member.prospect.x_user_id
        if member.state == ListMember.State.PENDING_ADD:
            x.with_fresh_token(
                account, lambda c, u=x_user_id: c.add_list_member(prospect_list.x_list_id, u)
            )
            # Only if still pending: a removal asked for meanwhile stays asked for.
            ListMember.objects.filter(pk=member.pk, state=ListMember.State.PENDING_ADD).update(
                state=ListMember.State.ACTIVE
            )
        else:
            x.with_fresh_token(
                account, lambda c, u=x_user_id: c.remove_list_member(prospect_list.x_list_id, u)
            )
            ListMember.objects.filter(pk=member.pk, state=ListMember.State.PENDING_REMOVE).delete()
        pushed += 1
    return pushed


def _reconcile(
    prospect_list: ProspectList, members: list[x.UserRecord], token: str
) -> tuple[int, int]:
    on_x = {record.id: record for record in members}
    joined = left = 0
    with transaction.atomic():
        locked = (
            ProspectList.objects.select_for_update()
            .filter(pk=prospect_list.pk, lease_token=token)
            .first()
        )
        if locked is None:
            raise LeaseLost
        here = {
            m.prospect.x_user_id: m
            for m in locked.members.select_related("prospect").select_for_update()
        }
        for x_user_id, record in on_x.items():
            services.xuser_store(record)  # their profile, fresh
            member = here.get(x_user_id)
            if member is None:
                prospect = services.prospect_for_x_user(
                    owner=locked.owner, x_user_id=x_user_id, reason="Added to the X list on X."
                )
                ListMember.objects.create(prospect_list=locked, prospect=prospect)
                MemberEvent.objects.create(
                    prospect_list=locked,
                    prospect=prospect,
                    action=MemberEvent.Action.ADDED,
                    origin=MemberEvent.Origin.X,
                )
                joined += 1
            elif member.state == ListMember.State.PENDING_ADD:
                # Pushed by a run that died before it could say so.
                member.state = ListMember.State.ACTIVE
                member.save(update_fields=["state"])
        for x_user_id, member in here.items():
            if x_user_id in on_x:
                continue
            if member.state == ListMember.State.ACTIVE:
                member.delete()
                MemberEvent.objects.create(
                    prospect_list=locked,
                    prospect=member.prospect,
                    action=MemberEvent.Action.REMOVED,
                    origin=MemberEvent.Origin.X,
                )
                left += 1
            elif member.state == ListMember.State.PENDING_REMOVE:
                member.delete()  # removed on X by a run that died before it could say so
    return joined, left
