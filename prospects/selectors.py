"""Read queries for prospect lists, prospects, their timelines and the pipeline: the one
place that says who may see what. Pages, the API, CSV exports, search and autocomplete
all read through here.

A list is visible to its owner and to the people and departments it is shared with —
nobody else, organisation admins included. A prospect is visible to their owner and to
whoever may see a list they are on; editing needs ownership or an "edit" share. The
Sales lead (a lead of a Sales department) and organisation admins see aggregates only
(pipeline_summary): counts, never names."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from departments.models import Department
from departments.models import Membership as DepartmentMembership
from listening.models import Tweet, XUser
from listening.selectors import xuser_list
from prospects.models import (
    Interaction,
    ListMember,
    ListShare,
    MemberEvent,
    Prospect,
    ProspectList,
    Stage,
    StageChange,
)
from socialops.models import User


def _shares_to(user: User, *, access: str | None = None) -> QuerySet[ListShare]:
    shares = ListShare.objects.filter(
        Q(user=user)
        | Q(department__in=DepartmentMembership.objects.filter(user=user).values("department"))
    )
    if access is not None:
        shares = shares.filter(access=access)
    return shares


def _list_q(user: User, *, edit: bool = False) -> Q:
    shares = _shares_to(user, access=ListShare.Access.EDIT if edit else None)
    return Q(owner=user) | Q(pk__in=shares.values("prospect_list"))


# --- Lists ----------------------------------------------------------------------------


def prospect_list_list(*, user: User) -> QuerySet[ProspectList]:
    """The lists the user may see: their own and those shared with them or their
    department. Organisation admins see only theirs, like anyone."""
    if not user.is_authenticated:
        return ProspectList.objects.none()
    return (
        ProspectList.objects.filter(_list_q(user))
        .select_related("owner", "account")
        .annotate(
            member_count=Count("members", filter=~Q(members__state=ListMember.State.PENDING_REMOVE))
        )
        .order_by("name", "pk")
    )


def prospect_list_editable(*, user: User) -> QuerySet[ProspectList]:
    """The lists the user may change (add or remove members, rename): owned, or shared
    with them (or their department) to edit."""
    if not user.is_authenticated:
        return ProspectList.objects.none()
    return ProspectList.objects.filter(_list_q(user, edit=True))


def can_edit_list(*, user: User, prospect_list: ProspectList) -> bool:
    return prospect_list_editable(user=user).filter(pk=prospect_list.pk).exists()


def can_manage_list(*, user: User, prospect_list: ProspectList) -> bool:
    """Sharing, mirroring and deleting: the owner alone."""
    return user.is_authenticated and prospect_list.owner_id == user.pk


def list_member_list(*, user: User, prospect_list: ProspectList) -> QuerySet[ListMember]:
    """A visible list's members (not those being removed), with stage and last touch."""
    if not prospect_list_list(user=user).filter(pk=prospect_list.pk).exists():
        return ListMember.objects.none()
    last_touch = (
        Interaction.objects.filter(prospect=OuterRef("prospect"), kind__in=Interaction.OUTREACH)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        ListMember.objects.filter(prospect_list=prospect_list)
        .exclude(state=ListMember.State.PENDING_REMOVE)
        .select_related("prospect__x_user", "prospect__stage", "prospect__owner")
        .annotate(last_touch_at=Subquery(last_touch))
        .order_by("prospect__stage__is_lost", "-prospect__stage__position", "prospect__name")
    )


def member_event_list(*, user: User, prospect_list: ProspectList) -> QuerySet[MemberEvent]:
    if not prospect_list_list(user=user).filter(pk=prospect_list.pk).exists():
        return MemberEvent.objects.none()
    return MemberEvent.objects.filter(prospect_list=prospect_list).select_related(
        "prospect__x_user", "actor"
    )


def list_stream(*, user: User, prospect_list: ProspectList) -> QuerySet[Tweet]:
    """The list's stream: the stored posts of its members, newest first."""
    members = list_member_list(user=user, prospect_list=prospect_list)
    return (
        Tweet.objects.filter(author_id__in=members.values("prospect__x_user_id"))
        .select_related("author")
        .order_by("-id")
    )


# --- Prospects ------------------------------------------------------------------------


def prospect_list_visible(*, user: User) -> QuerySet[Prospect]:
    """The prospects the user may see: their own, and those on a list they may see."""
    if not user.is_authenticated:
        return Prospect.objects.none()
    on_visible_list = ListMember.objects.filter(
        prospect=OuterRef("pk"),
        prospect_list__in=ProspectList.objects.filter(_list_q(user)).values("pk"),
    ).exclude(state=ListMember.State.PENDING_REMOVE)
    return (
        Prospect.objects.filter(Q(owner=user) | Exists(on_visible_list))
        .select_related("x_user", "stage", "owner")
        .order_by("-updated_at", "pk")
    )


def prospect_list_editable_by(*, user: User) -> QuerySet[Prospect]:
    """The prospects the user may change: their own, and those on a list shared with
    them to edit."""
    if not user.is_authenticated:
        return Prospect.objects.none()
    on_editable_list = ListMember.objects.filter(
        prospect=OuterRef("pk"),
        prospect_list__in=ProspectList.objects.filter(_list_q(user, edit=True)).values("pk"),
    )
    return Prospect.objects.filter(Q(owner=user) | Exists(on_editable_list))


def can_edit_prospect(*, user: User, prospect: Prospect) -> bool:
    return prospect_list_editable_by(user=user).filter(pk=prospect.pk).exists()


def prospect_search(*, user: User, query: str) -> QuerySet[Prospect]:
    """Search among visible prospects by handle, name, company, title, tags, CRM id."""
    qs = prospect_list_visible(user=user)
    query = query.strip().lstrip("@")
    if not query:
        return qs
    return qs.filter(
        Q(x_user__username__icontains=query)
        | Q(name__icontains=query)
        | Q(company__icontains=query)
        | Q(title__icontains=query)
        | Q(tags__icontains=query)
        | Q(crm_id__iexact=query)
    )


def stage_change_list(*, user: User, prospect: Prospect) -> QuerySet[StageChange]:
    return StageChange.objects.filter(
        prospect__in=prospect_list_visible(user=user).values("pk"), prospect=prospect
    ).select_related("from_stage", "to_stage", "actor")


# --- Timeline -------------------------------------------------------------------------


def interaction_list(*, user: User) -> QuerySet[Interaction]:
    """Interactions with prospects the user may see, newest first."""
    return (
        Interaction.objects.filter(prospect__in=prospect_list_visible(user=user).values("pk"))
        .select_related("prospect__x_user", "actor")
        .order_by("-occurred_at", "-pk")
    )


TIMELINE_FILTERS = {
    "posts": (Interaction.Kind.POST, Interaction.Kind.MENTION, Interaction.Kind.REPLY_RECEIVED),
    "ours": (Interaction.Kind.OUR_REPLY, Interaction.Kind.DM_SENT),
    "dms": (Interaction.Kind.DM_SENT, Interaction.Kind.DM_RECEIVED),
    "clicks": (Interaction.Kind.CLICK, Interaction.Kind.CONVERSION),
    "touches": Interaction.TOUCHES,
}


def timeline(*, user: User, prospect: Prospect, show: str = "") -> QuerySet[Interaction]:
    """One prospect's timeline, newest first; `show` narrows it (TIMELINE_FILTERS)."""
    qs = interaction_list(user=user).filter(prospect=prospect)
    if show in TIMELINE_FILTERS:
        qs = qs.filter(kind__in=TIMELINE_FILTERS[show])
    return qs


# --- Stages and the pipeline ----------------------------------------------------------


def stage_list() -> QuerySet[Stage]:
    """The organisation's stages in funnel order, lost last (not private)."""
    return Stage.objects.order_by("is_lost", "position", "pk")


def pipeline_board(*, user: User, owner: User) -> list[tuple[Stage, list[Prospect]]]:
    """A rep's pipeline: each stage with the rep's prospects the user may see in it."""
    prospects = prospect_list_visible(user=user).filter(owner=owner).order_by("name", "pk")
    by_stage: dict[int, list[Prospect]] = {}
    for prospect in prospects:
        by_stage.setdefault(prospect.stage_id, []).append(prospect)
    return [(stage, by_stage.get(stage.pk, [])) for stage in stage_list()]


def pipeline_owners(*, user: User) -> QuerySet[User]:
    """Reps whose prospects the user may see some of (themselves first in the page)."""
    return User.objects.filter(pk__in=prospect_list_visible(user=user).values("owner")).order_by(
        "first_name", "username"
    )


def can_see_summary(user: User) -> bool:
    """The Sales lead (a lead of a Sales department) and organisation admins."""
    return user.is_authenticated and (
        user.is_org_admin
        or DepartmentMembership.objects.filter(
            user=user,
            role=DepartmentMembership.Role.LEAD,
            department__kind=Department.Kind.SALES,
        ).exists()
    )


@dataclass(frozen=True)
class SummaryRow:
    rep: User
    counts: dict[int, int]  # stage pk -> prospects
    total: int
    value: Decimal | None
    touches: int
    conversions: int


def pipeline_summary() -> tuple[list[Stage], list[SummaryRow]]:
    """Counts by stage and rep, pipeline value, touches and conversions: aggregates only,
    for the Sales lead (callers check can_see_summary). No prospect is named."""
    stages = list(stage_list())
    cells = Prospect.objects.values("owner", "stage").annotate(n=Count("pk"))
    reps = {
        row["owner"]: row
        for row in Prospect.objects.values("owner").annotate(
            total=Count("pk"),
            value=Sum("value", filter=~Q(stage__is_lost=True) & ~Q(stage__key="customer")),
        )
    }
    touches = dict(
        Interaction.objects.filter(kind__in=Interaction.OUTREACH)
        .values("prospect__owner")
        .annotate(n=Count("pk"))
        .values_list("prospect__owner", "n")
    )
    conversions = dict(
        Interaction.objects.filter(kind=Interaction.Kind.CONVERSION)
        .values("prospect__owner")
        .annotate(n=Count("prospect", distinct=True))
        .values_list("prospect__owner", "n")
    )
    users = User.objects.in_bulk(list(reps))
    counts: dict[int, dict[int, int]] = {}
    for cell in cells:
        counts.setdefault(cell["owner"], {})[cell["stage"]] = cell["n"]
    rows = [
        SummaryRow(
            rep=users[owner],
            counts=counts.get(owner, {}),
            total=row["total"],
            value=row["value"],
            touches=touches.get(owner, 0),
            conversions=conversions.get(owner, 0),
        )
        for owner, row in reps.items()
        if owner in users
    ]
    rows.sort(key=lambda r: (r.rep.first_name, r.rep.username))
    return stages, rows


def last_touch_by_prospect(*, prospect_ids: list[int]) -> dict[int, object]:
    return dict(
        Interaction.objects.filter(prospect_id__in=prospect_ids, kind__in=Interaction.OUTREACH)
        .values("prospect")
        .annotate(at=Max("occurred_at"))
        .values_list("prospect", "at")
    )


# --- X users for autocomplete ---------------------------------------------------------


def xuser_suggestions(*, user: User, prefix: str, limit: int = 8) -> list[XUser]:
    """Stored X users whose handle starts with `prefix`, among those the user may know
    we read (listening's rule) or their own visible prospects. Never another rep's
    prospect the user may not see."""
    prefix = prefix.strip().lstrip("@")
    if not prefix:
        return []
    known = xuser_list(user=user).filter(username__istartswith=prefix)
    mine = XUser.objects.filter(
        pk__in=prospect_list_visible(user=user).values("x_user_id"), username__istartswith=prefix
    )
    found = {u.pk: u for u in [*mine[:limit], *known.order_by("username")[:limit]]}
    return sorted(found.values(), key=lambda u: u.username.lower())[:limit]


def pipeline_value(*, prospects: QuerySet[Prospect]) -> Decimal:
    return prospects.exclude(stage__is_lost=True).aggregate(v=Coalesce(Sum("value"), Decimal(0)))[
        "v"
    ]
