"""Use cases for prospect lists and prospects: one transaction each, validated, audited as
private to the list's owner (the audit trail shows them to nobody else).

Stage rules (STAGE_RULES) move a prospect forward on its own only where the rule is
clear; a rep can always move anyone by hand (prospect_move)."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, When
from django.utils import timezone

from campaigns.models import Click, Conversion
from departments.models import Department, Membership
from listening import client as x
from listening.models import Source, Tweet, XAccount, XUser
from listening.services import source_create
from prospects.models import (
    DEFAULT_STAGES,
    LOST_STAGE,
    X_LIST_MAX_MEMBERS,
    Interaction,
    ListMember,
    ListShare,
    MemberEvent,
    Prospect,
    ProspectList,
    Stage,
    StageChange,
)
from prospects.selectors import can_edit_prospect
from socialops.marks import Family, mark, mark_rows
from socialops.models import User
from socialops.services import fields_check, instance_delete, instance_save, snapshot
from socialops.webhooks.services import event_emit

# What their webhook events carry: the prospect or interaction as the API shows it.
PROSPECT_API = "prospects.api.ProspectSerializer"
INTERACTION_API = "prospects.api.InteractionSerializer"
HANDLE_UNKNOWN = "X has no user @{handle}."
ALREADY_ON_LIST = "@{handle} is already on this list."
LIST_FULL = f"This list has {X_LIST_MAX_MEMBERS:,} members, X's limit: remove someone first."
UNKNOWN_STAGE = "No such stage: pick one of {keys}."

# --- Stages ---------------------------------------------------------------------------


def stages_ensure() -> list[Stage]:
    """The organisation's stages, the defaults created on first use."""
    if not Stage.objects.exists():
        with transaction.atomic():
            for position, (key, name) in enumerate(DEFAULT_STAGES, start=1):
                Stage.objects.get_or_create(key=key, defaults={"name": name, "position": position})
            Stage.objects.get_or_create(
                key=LOST_STAGE[0], defaults={"name": LOST_STAGE[1], "position": 99, "is_lost": True}
            )
    return list(Stage.objects.order_by("is_lost", "position", "pk"))


def stage_by_key(key: str, *, field: str = "stage") -> Stage:
    stages = stages_ensure()
    for stage in stages:
        if stage.key == key:
            return stage
    raise ValidationError({field: UNKNOWN_STAGE.format(keys=", ".join(s.key for s in stages))})


def _first_stage() -> Stage:
    return next(s for s in stages_ensure() if not s.is_lost)


# The written stage rules: the event, and the stage it moves a prospect up to. A rule only
# moves a prospect forward (never back, never out of a later stage), and never moves a
# lost prospect — except a conversion, which makes anyone a customer.
STAGE_RULES = {
    Interaction.Kind.REPLY_RECEIVED: ("engaged", "They replied to us."),
    Interaction.Kind.CONVERSION: ("customer", "A conversion tied to their click or coupon."),
    "dm_exchange": ("conversation", "A DM exchange: we wrote and they answered, or back."),
}


def _rule_move(prospect: Prospect, event: str) -> bool:
    key, reason = STAGE_RULES[event]
    target = Stage.objects.filter(key=key).first()
    if target is None or prospect.stage_id == target.pk:
        return False
    current = prospect.stage
    if current.is_lost and event != Interaction.Kind.CONVERSION:
        return False
    if not current.is_lost and current.position >= target.position:
        return False
    _stage_set(prospect=prospect, stage=target, actor=None, reason=f"Rule: {reason}")
    return True


def _stage_set(*, prospect: Prospect, stage: Stage, actor: User | None, reason: str) -> None:
    before = snapshot(prospect)
    now = timezone.now()
    StageChange.objects.create(
        prospect=prospect,
        from_stage=prospect.stage,
        to_stage=stage,
        actor=actor,
        reason=reason,
        at=now,
        since=prospect.stage_changed_at,
    )
    mark(Family.PROSPECTS, [now])
    prospect.stage = stage
    prospect.stage_changed_at = now
    instance_save(
        actor=actor,
        instance=prospect,
        before=before,
        private_to=prospect.owner,
        validate=False,
        update_fields=["stage", "stage_changed_at", "updated_at"],
    )
    event_emit(
        "prospect.stage_changed",
        instance=prospect,
        serializer=PROSPECT_API,
        private_to=prospect.owner,
    )


@transaction.atomic
def prospect_move(*, actor: User, prospect: Prospect, stage: Stage, reason: str = "") -> Prospect:
    """Move a prospect to any stage by hand (forward, back, lost), with why."""
    prospect = (
        Prospect.objects.select_for_update().select_related("stage", "owner").get(pk=prospect.pk)
    )
    if prospect.stage_id != stage.pk:
        _stage_set(prospect=prospect, stage=stage, actor=actor, reason=reason[:300])
    return prospect


# --- Lists ----------------------------------------------------------------------------

LIST_FIELDS = {"name", "description"}


def _check_mirror(*, account: XAccount | None, x_list_id: int | None) -> None:
    if x_list_id is None:
        return
    if account is None:
        raise ValidationError({"account": "Pick the X account that owns the X list."})
    if ProspectList.objects.filter(x_list_id=x_list_id).exists():
        raise ValidationError({"x_list_id": "Another prospect list already mirrors this X list."})
    owned = x.with_fresh_token(account, lambda c: c.owned_lists(account.x_user_id))
    found = next((item for item in owned if item.id == x_list_id), None)
    if found is None:
        raise ValidationError({"x_list_id": f"@{account.username} owns no such X list."})
    if not found.private:
        raise ValidationError(
            {"x_list_id": "This X list is public: a prospect list mirrors a private one only."}
        )


def prospect_list_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    account: XAccount | None = None,
    x_list_id: int | None = None,
    create_on_x: bool = False,
) -> ProspectList:
    """A new list. With `account` and `x_list_id` it mirrors that private X list; with
    `create_on_x` a private X list of the same name is created through `account` first."""
    if create_on_x:
        if account is None:
            raise ValidationError({"account": "Pick the X account to create the list with."})
        try:
            created = x.with_fresh_token(
                account, lambda c: c.create_list(name[:25], description=description[:100])
            )
        except x.XError as exc:
            raise ValidationError({"account": f"X did not create the list: {exc}"}) from exc
        x_list_id = created.id
    else:
        _check_mirror(account=account, x_list_id=x_list_id)
    with transaction.atomic():
        prospect_list = ProspectList(
            name=name,
            description=description,
            owner=actor,
            account=account if x_list_id else None,
            x_list_id=x_list_id,
        )
        instance_save(actor=actor, instance=prospect_list, private_to=actor)
    if prospect_list.is_mirrored:
        _stream_source_ensure(prospect_list)
        _sync_soon(prospect_list.pk)
    return prospect_list


def _stream_source_ensure(prospect_list: ProspectList) -> None:
    """A private listening source on the mirrored X list, so its members' posts are read
    (the list's stream and the prospects' timelines). Its owner's alone, as the list."""
    if Source.objects.filter(
        kind=Source.Kind.LIST, x_list_id=prospect_list.x_list_id, owner=prospect_list.owner
    ).exists():
        return
    # Refused by listening's rules (someone else reads the X list, or the owner may not add
    # sources): the list has no stream of its own.
    with contextlib.suppress(ValidationError, PermissionDenied):
        source_create(
            actor=prospect_list.owner,
            name=f"{prospect_list.name} (prospects)"[:100],
            kind=Source.Kind.LIST,
            account=prospect_list.account,
            x_list_id=prospect_list.x_list_id,
            is_private=True,
        )


@transaction.atomic
def prospect_list_update(
    *, actor: User, prospect_list: ProspectList, **fields: Any
) -> ProspectList:
    fields_check(fields, LIST_FIELDS)
    before = snapshot(prospect_list)
    for key, value in fields.items():
        setattr(prospect_list, key, value)
    instance_save(
        actor=actor, instance=prospect_list, before=before, private_to=prospect_list.owner
    )
    return prospect_list


@transaction.atomic
def prospect_list_delete(*, actor: User, prospect_list: ProspectList) -> None:
    instance_delete(actor=actor, instance=prospect_list, private_to=prospect_list.owner)


@transaction.atomic
def list_share(
    *,
    actor: User,
    prospect_list: ProspectList,
    access: str = ListShare.Access.READ,
    user: User | None = None,
    department: Department | None = None,
) -> ListShare:
    if (user is None) == (department is None):
        raise ValidationError({"user": "Share with one person or one department."})
    if user is not None and user.pk == prospect_list.owner_id:
        raise ValidationError({"user": "The list is already yours."})
    share, created = ListShare.objects.get_or_create(
        prospect_list=prospect_list, user=user, department=department, defaults={"access": access}
    )
    before = None if created else snapshot(share)
    share.access = access
    instance_save(actor=actor, instance=share, before=before, private_to=prospect_list.owner)
    return share


@transaction.atomic
def list_unshare(*, actor: User, share: ListShare) -> None:
    instance_delete(actor=actor, instance=share, private_to=share.prospect_list.owner)


# --- Prospects ------------------------------------------------------------------------

PROSPECT_FIELDS = {"name", "company", "title", "crm_id", "value", "notes", "tags", "coupon_code"}


def xuser_store(record: x.UserRecord) -> XUser:
    """Keep an X user as X last sent them (by X's id)."""
    fields = {
        "username": record.username,
        "name": record.name,
        "description": record.description,
        "location": record.location,
        "profile_image_url": record.profile_image_url,
        "verified": record.verified,
        "protected": record.protected,
        "followers_count": record.followers_count,
        "following_count": record.following_count,
        "tweet_count": record.tweet_count,
        "listed_count": record.listed_count,
        "x_created_at": record.created_at,
        "raw": record.raw,
        "fetched_at": timezone.now(),
    }
    user, _ = XUser.objects.update_or_create(id=record.id, defaults=fields)
    return user


def _lookup_account(prospect_list: ProspectList | None) -> XAccount | None:
    if prospect_list is not None and prospect_list.account_id:
        return prospect_list.account
    return (
        XAccount.objects.exclude(status=XAccount.Status.NEEDS_RECONNECTION)
        .exclude(access_token="")
        .order_by("pk")
        .first()
    )


def xuser_resolve(*, handle: str, prospect_list: ProspectList | None = None) -> XUser:
    """The X user behind @handle, asked of X (their profile stored fresh); a clear field
    error when X has no such user."""
    handle = (handle or "").strip().lstrip("@")
    if not handle or len(handle) > 15 or not handle.replace("_", "").isalnum():
        raise ValidationError({"handle": "Give an X handle such as @dana_ceo (15 characters)."})
    account = _lookup_account(prospect_list)
    if account is None:
        known = XUser.objects.filter(username__iexact=handle).first()
        if known is None:
            raise ValidationError({"handle": HANDLE_UNKNOWN.format(handle=handle)})
        return known
    try:
        record = x.with_fresh_token(account, lambda c: c.user_by_username(handle))
    except x.RateLimited as exc:
        raise ValidationError(
            {"handle": f"X is rate-limiting look-ups until {exc.reset_at:%H:%M} UTC; try then."}
        ) from exc
    except x.XError as exc:
        raise ValidationError({"handle": f"X did not answer the look-up: {exc}"}) from exc
    if record is None:
        raise ValidationError({"handle": HANDLE_UNKNOWN.format(handle=handle)})
    return xuser_store(record)


def prospect_for_x_user(*, owner: User, x_user_id: int, reason: str) -> Prospect:
    """The owner's prospect on this X user, made when someone joined their X list on X."""
    prospect = Prospect.objects.filter(owner=owner, x_user_id=x_user_id).first()
    if prospect is not None:
        return prospect
    x_user = XUser.objects.get(pk=x_user_id)
    return _prospect_for(owner=owner, x_user=x_user, actor=None, reason=reason)


def _prospect_for(
    *,
    owner: User,
    x_user: XUser,
    actor: User | None,
    reason: str = "Added as a prospect.",
    **fields: Any,
) -> Prospect:
    prospect = Prospect.objects.filter(owner=owner, x_user=x_user).first()
    if prospect is not None:
        return prospect
    now = timezone.now()
    prospect = Prospect(
        owner=owner,
        x_user=x_user,
        stage=_first_stage(),
        stage_changed_at=now,
        department_id=_owner_department(owner),
        name=fields.pop("name", "") or x_user.name,
        **fields,
    )
    instance_save(actor=actor, instance=prospect, private_to=owner)
    StageChange.objects.create(
        prospect=prospect, to_stage=prospect.stage, actor=actor, reason=reason, at=now
    )
    mark(Family.PROSPECTS, [now])
    event_emit("prospect.created", instance=prospect, serializer=PROSPECT_API, private_to=owner)
    return prospect


def _owner_department(owner: User) -> int | None:
    """The department a new prospect's figures count in: the owner's Sales department
    (the first by id, if several), else their first department, else none."""
    return (
        Membership.objects.filter(user=owner)
        .order_by(
            Case(
                When(department__kind=Department.Kind.SALES, then=0),
                default=1,
                output_field=IntegerField(),
            ),
            "pk",
        )
        .values_list("department_id", flat=True)
        .first()
    )


def _member_count(prospect_list: ProspectList) -> int:
    return prospect_list.members.exclude(state=ListMember.State.PENDING_REMOVE).count()


def prospect_add(
    *, actor: User, prospect_list: ProspectList, handle: str, **fields: Any
) -> ListMember:
    """Add @handle to the list (and as the list owner's prospect, if not already one).
    On a mirrored list the member is added on X by the next sync (queued at once)."""
    fields_check(fields, PROSPECT_FIELDS)
    x_user = xuser_resolve(handle=handle, prospect_list=prospect_list)
    with transaction.atomic():
        member = _member_add(actor=actor, prospect_list=prospect_list, x_user=x_user, **fields)
    return member


def _member_add(
    *, actor: User, prospect_list: ProspectList, x_user: XUser, **fields: Any
) -> ListMember:
    """prospect_add's writes, inside the caller's transaction: the list's row is locked
    first, so two adds to one list take turns (the 5,000 limit and "already on the list"
    hold)."""
    locked = ProspectList.objects.select_for_update().get(pk=prospect_list.pk)
    existing = ListMember.objects.filter(prospect_list=locked, prospect__x_user=x_user).first()
    if existing is not None and existing.state != ListMember.State.PENDING_REMOVE:
        raise ValidationError({"handle": ALREADY_ON_LIST.format(handle=x_user.username)})
    if _member_count(locked) >= X_LIST_MAX_MEMBERS:
        raise ValidationError({"handle": LIST_FULL})
    if (
        fields.get("crm_id")
        and Prospect.objects.filter(crm_id=fields["crm_id"])
        .exclude(owner=locked.owner, x_user=x_user)
        .exists()
    ):
        raise ValidationError({"crm_id": "Another prospect has this CRM id."})
    prospect = _prospect_for(owner=locked.owner, x_user=x_user, actor=actor, **fields)
    state = ListMember.State.PENDING_ADD if locked.is_mirrored else ListMember.State.ACTIVE
    if existing is not None:  # removed here, not yet on X: it stays
        existing.state = ListMember.State.ACTIVE
        existing.save(update_fields=["state"])
        member = existing
    else:
        member = ListMember.objects.create(prospect_list=locked, prospect=prospect, state=state)
    MemberEvent.objects.create(
        prospect_list=locked,
        prospect=prospect,
        action=MemberEvent.Action.ADDED,
        origin=MemberEvent.Origin.PRODUCT,
        actor=actor,
    )
    interactions_collect(prospect_ids=[prospect.pk])
    if locked.is_mirrored:
        _sync_soon(locked.pk)
    return member


@transaction.atomic
def prospect_remove(*, actor: User, member: ListMember) -> None:
    """Take a prospect off a list (they stay the owner's prospect); on a mirrored list,
    off the X list at the next sync."""
    member = (
        ListMember.objects.select_for_update().select_related("prospect_list").get(pk=member.pk)
    )
    if member.prospect_list.is_mirrored and member.state != ListMember.State.PENDING_ADD:
        member.state = ListMember.State.PENDING_REMOVE
        member.save(update_fields=["state"])
        transaction.on_commit(lambda: _sync_soon(member.prospect_list_id))
    else:
        member.delete()
    MemberEvent.objects.create(
        prospect_list_id=member.prospect_list_id,
        prospect_id=member.prospect_id,
        action=MemberEvent.Action.REMOVED,
        origin=MemberEvent.Origin.PRODUCT,
        actor=actor,
    )


@transaction.atomic
def prospect_update(*, actor: User, prospect: Prospect, **fields: Any) -> Prospect:
    fields_check(fields, PROSPECT_FIELDS)
    before = snapshot(prospect)
    old_value = prospect.value
    for key, value in fields.items():
        setattr(prospect, key, value)
    if prospect.crm_id == "":
        prospect.crm_id = None
    instance_save(actor=actor, instance=prospect, before=before, private_to=prospect.owner)
    if prospect.value != old_value:
        # The pipeline's value is a level drawn on each day the prospect's stage changed
        # (metrics.facts.prospects), from their value now: every such day changes.
        mark_rows(Family.PROSPECTS, StageChange.objects.filter(prospect=prospect), "at")
    return prospect


NEW_NEEDS_HANDLE = "A new prospect needs `handle` and `list`."
CRM_ID_TAKEN = "Another prospect has this CRM id."


def _crm_id_lock(crm_id: str) -> None:
    """Serialise upserts of one CRM id until the transaction ends, so two at once cannot
    both find it free and both add: a transaction-scoped advisory lock on PostgreSQL (the
    id hashed to 32 bits: a collision only makes two ids wait for each other). SQLite
    needs none: its transactions begin IMMEDIATE, one writer at a time."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_CRM_LOCK_SPACE, crm_id])


_CRM_LOCK_SPACE = zlib.crc32(b"prospects.crm_id") - 2**31


def prospect_upsert(
    *,
    actor: User,
    crm_id: str,
    prospect_list: ProspectList | None = None,
    handle: str = "",
    stage: Stage | None = None,
    **fields: Any,
) -> tuple[Prospect, bool]:
    """The CRM's write: the prospect with this CRM id updated, or @handle added to the
    list with it; then moved to `stage` if given. Returns (prospect, created).

    1. Look the CRM id up. Only if nobody has it yet is X asked about @handle — outside
       the transaction: a network call never holds a lock.
    2. In one transaction: take the CRM id's lock, look again (a concurrent upsert may
       have added it meanwhile), then update, or add to the list, and set the stage.
       Two upserts of one new CRM id at once: one adds, the other updates the same
       prospect; never two prospects, never an integrity error."""
    fields_check(fields, PROSPECT_FIELDS - {"crm_id"})
    crm_id = (crm_id or "").strip()
    if not crm_id:
        raise ValidationError({"crm_id": "A CRM id is required."})
    x_user = None
    if not Prospect.objects.filter(crm_id=crm_id).exists():
        if prospect_list is None or not handle:
            raise ValidationError({"handle": NEW_NEEDS_HANDLE})
        x_user = xuser_resolve(handle=handle, prospect_list=prospect_list)
    with transaction.atomic():
        _crm_id_lock(crm_id)
        existing = Prospect.objects.select_for_update().filter(crm_id=crm_id).first()
        if existing is not None:
            if not can_edit_prospect(user=actor, prospect=existing):
                raise ValidationError({"crm_id": CRM_ID_TAKEN})
            prospect = prospect_update(actor=actor, prospect=existing, **fields)
            created = False
        elif x_user is None:  # it was there a moment ago, and was deleted meanwhile
            raise ValidationError({"handle": NEW_NEEDS_HANDLE})
        else:
            member = _member_add(
                actor=actor, prospect_list=prospect_list, x_user=x_user, crm_id=crm_id, **fields
            )
            prospect, created = member.prospect, True
        if stage is not None:
            prospect = prospect_move(
                actor=actor, prospect=prospect, stage=stage, reason="Set through the API."
            )
    return prospect, created


# --- Interactions ---------------------------------------------------------------------


@transaction.atomic
def touch_log(
    *,
    actor: User,
    prospect: Prospect,
    kind: str,
    text: str = "",
    occurred_at: datetime | None = None,
) -> Interaction:
    """A touch the rep logs: a call, an e-mail, a meeting or a note."""
    if kind not in Interaction.TOUCHES:
        raise ValidationError(
            {"kind": f"A touch is one of {', '.join(str(k) for k in Interaction.TOUCHES)}."}
        )
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "A touch cannot be in the future."})
    interaction = Interaction(
        prospect=prospect, kind=kind, text=text, occurred_at=occurred_at, actor=actor
    )
    instance_save(actor=actor, instance=interaction, private_to=prospect.owner)
    mark(Family.PROSPECTS, [occurred_at])
    event_emit(
        "interaction.created",
        instance=interaction,
        serializer=INTERACTION_API,
        private_to=prospect.owner,
    )
    Prospect.objects.filter(pk=prospect.pk).update(updated_at=timezone.now())
    return interaction


def interaction_record(
    *,
    x_user_id: int,
    kind: str,
    occurred_at: datetime,
    ref: str,
    text: str = "",
    actor: User | None = None,
    tweet_id: int | None = None,
) -> list[Interaction]:
    """THE HOOK for the inbox: call it when we reply to or DM an X user, or they DM us
    (kind "our_reply", "dm_sent" or "dm_received"; `ref` names the row once, e.g.
    "dm:<event id>" or "tweet:<id>"). Every prospect on that X user gets it on their
    timeline, once however often it is called; a DM both ways moves them to
    "conversation" (STAGE_RULES). What a rep sends counts as their touch (actor)."""
    if kind not in (
        Interaction.Kind.OUR_REPLY,
        Interaction.Kind.DM_SENT,
        Interaction.Kind.DM_RECEIVED,
    ):
        raise ValueError(f"the inbox hands over replies and DMs, not {kind!r}")
    recorded = []
    with transaction.atomic():
        for prospect in (
            Prospect.objects.select_for_update().select_related("stage").filter(x_user_id=x_user_id)
        ):
            interaction, created = Interaction.objects.get_or_create(
                prospect=prospect,
                kind=kind,
                ref=ref,
                defaults={
                    "occurred_at": occurred_at,
                    "text": text,
                    "actor": actor,
                    "tweet_id": tweet_id,
                },
            )
            recorded.append(interaction)
            if created and kind in Interaction.OUTREACH:
                mark(Family.PROSPECTS, [occurred_at])
            if created:
                event_emit(
                    "interaction.created",
                    instance=interaction,
                    serializer=INTERACTION_API,
                    private_to=prospect.owner,
                )
            if created and kind != Interaction.Kind.OUR_REPLY:
                other = (
                    Interaction.Kind.DM_RECEIVED
                    if kind == Interaction.Kind.DM_SENT
                    else Interaction.Kind.DM_SENT
                )
                if prospect.interactions.filter(kind=other).exists():
                    _rule_move(prospect, "dm_exchange")
    return recorded


def _our_user_ids() -> set[int]:
    return set(XAccount.objects.filter(x_user_id__isnull=False).values_list("x_user_id", flat=True))


def interactions_collect(*, prospect_ids: Iterable[int] | None = None) -> int:
    """Put on each prospect's timeline, once, what stored rows say about them: their posts
    (a reply to one of our accounts is "they replied to us", a post naming one of our
    accounts a mention), our accounts' replies to them, clicks on the tracked links given
    to them, conversions tied to those clicks or to their coupon. Then the stage rules.
    Safe to run again and at once (unique (prospect, kind, ref)); returns rows added."""
    prospects = Prospect.objects.select_related("x_user", "stage")
    if prospect_ids is not None:
        prospects = prospects.filter(pk__in=list(prospect_ids))
    ours = _our_user_ids()
    our_names = {name.lower() for name in XAccount.objects.values_list("username", flat=True)}
    added = 0
    for prospect in prospects:
        rows: list[Interaction] = []
        for tweet in Tweet.objects.filter(author_id=prospect.x_user_id).order_by("-id")[:500]:
            mentioned = {
                (m.get("username") or "").lower()
                for m in ((tweet.raw or {}).get("entities") or {}).get("mentions") or []
            }
            if tweet.in_reply_to_user_id in ours:
                kind = Interaction.Kind.REPLY_RECEIVED
            elif mentioned & our_names:
                kind = Interaction.Kind.MENTION
            else:
                kind = Interaction.Kind.POST
            rows.append(
                Interaction(
                    prospect=prospect,
                    kind=kind,
                    occurred_at=tweet.created_at or tweet.first_seen_at,
                    text=tweet.text,
                    ref=f"tweet:{tweet.pk}",
                    tweet_id=tweet.pk,
                )
            )
        if ours:
            for tweet in Tweet.objects.filter(
                author_id__in=ours, in_reply_to_user_id=prospect.x_user_id
            ).order_by("-id")[:500]:
                rows.append(
                    Interaction(
                        prospect=prospect,
                        kind=Interaction.Kind.OUR_REPLY,
                        occurred_at=tweet.created_at or tweet.first_seen_at,
                        text=tweet.text,
                        ref=f"tweet:{tweet.pk}",
                        tweet_id=tweet.pk,
                    )
                )
        link_ids = list(prospect.links.values_list("pk", flat=True))
        clicks = Click.objects.filter(link_id__in=link_ids).select_related("link")
        for click in clicks[:1000]:
            rows.append(
                Interaction(
                    prospect=prospect,
                    kind=Interaction.Kind.CLICK,
                    occurred_at=click.clicked_at,
                    text=click.link.destination,
                    ref=f"click:{click.pk}",
                )
            )
        tied = Q(click_id__in=clicks.values("click_id")) & ~Q(click_id="")
        if prospect.coupon_code:
            tied |= Q(coupon_code__iexact=prospect.coupon_code)
        for conversion in Conversion.objects.filter(tied)[:1000]:
            rows.append(
                Interaction(
                    prospect=prospect,
                    kind=Interaction.Kind.CONVERSION,
                    occurred_at=conversion.occurred_at,
                    text=(
                        f"{conversion.get_kind_display()} · "
                        f"{conversion.value} {conversion.currency}"
                    ),
                    ref=f"conversion:{conversion.pk}",
                )
            )
        if not rows:
            continue
        with transaction.atomic():
            before = prospect.interactions.count()
            Interaction.objects.bulk_create(rows, ignore_conflicts=True)
            # Our replies found among stored posts are touches (some may be old rows).
            mark(
                Family.PROSPECTS,
                [r.occurred_at for r in rows if r.kind in Interaction.OUTREACH],
            )
            new = prospect.interactions.count() - before
            added += new
            if new:
                kinds = set(prospect.interactions.values_list("kind", flat=True).distinct())
                locked = (
                    Prospect.objects.select_for_update().select_related("stage").get(pk=prospect.pk)
                )
                if Interaction.Kind.CONVERSION in kinds:
                    _rule_move(locked, Interaction.Kind.CONVERSION)
                elif Interaction.Kind.REPLY_RECEIVED in kinds:
                    _rule_move(locked, Interaction.Kind.REPLY_RECEIVED)
    return added


# --- Sync scheduling ------------------------------------------------------------------


def _sync_soon(list_id: int) -> None:
    """Queue the list's sync once the transaction commits."""
    # In here: the task module imports this one (a task is a thin call of a service).
    from prospects.tasks import sync_prospect_list

    def send() -> None:
        try:
            sync_prospect_list.delay(list_id)
        except Exception:
            ProspectList.objects.filter(pk=list_id).update(next_sync_at=timezone.now())

    transaction.on_commit(send)


def prospect_lists_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        ProspectList.objects.filter(x_list_id__isnull=False, next_sync_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
    )
