"""SLA reads: the state of a conversation compared with now in SQL (filter, sort, count),
the policies a user may see and edit, and the scorer's agreement with people."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from departments.models import Department, Membership
from listening.inbox.models import Conversation, SentimentLabel
from listening.inbox.sentiment import macro_f1
from listening.inbox.sla.models import SlaPolicy
from socialops.models import User

ON_TARGET, AT_RISK, MISSED = "on_target", "at_risk", "missed"
STATES = [(ON_TARGET, "On target"), (AT_RISK, "At risk"), (MISSED, "Missed")]
LABELS = dict(STATES)


def _missed(now: datetime) -> Q:
    return Q(sla_missed=True) | Q(sla_due_at__lte=now)


def _risk(now: datetime) -> Q:
    return Q(sla_at_risk_at__lte=now)


def sla_filter(queryset: QuerySet, state: str, *, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    if state == MISSED:
        return queryset.filter(_missed(now))
    if state == AT_RISK:
        return queryset.filter(_risk(now)).exclude(_missed(now))
    if state == ON_TARGET:
        return queryset.filter(sla_policy__isnull=False).exclude(_risk(now)).exclude(_missed(now))
    return queryset


def sla_state(now: datetime | None = None) -> Case:
    """The state as an SQL expression ("" where no policy applies)."""
    now = now or timezone.now()
    return Case(
        When(_missed(now), then=Value(MISSED)),
        When(_risk(now), then=Value(AT_RISK)),
        When(sla_policy__isnull=False, then=Value(ON_TARGET)),
        default=Value(""),
        output_field=CharField(),
    )


def state_of(conversation: Conversation, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if conversation.sla_missed or (conversation.sla_due_at and conversation.sla_due_at <= now):
        return MISSED
    if conversation.sla_at_risk_at and conversation.sla_at_risk_at <= now:
        return AT_RISK
    return ON_TARGET if conversation.sla_policy_id else ""


def at_risk_first(queryset: QuerySet, *, limit: int, now: datetime | None = None) -> list:
    """The first `limit` rows of an ordered list with the conversations whose clock is
    at risk or past due floated to the top (soonest due first). Two index-friendly
    queries (conversation_sla_running, then the list's own order) rather than one ORDER
    BY on an expression of now, which would sort every row of the list."""
    now = now or timezone.now()
    urgent = list(queryset.filter(_risk(now)).order_by("sla_due_at", "pk")[:limit])
    rest = queryset.exclude(pk__in=[c.pk for c in urgent]) if urgent else queryset
    return urgent + list(rest[: limit - len(urgent)])


def at_risk_count(*, queryset: QuerySet, now: datetime | None = None) -> int:
    """Open conversations whose running clock is at risk (75 % used) and not yet due."""
    now = now or timezone.now()
    return queryset.filter(_risk(now)).exclude(_missed(now)).count()


def at_risk_by_department(*, queryset: QuerySet, now: datetime | None = None) -> list[dict]:
    """at_risk_count per department (slug, name, n), in one query."""
    now = now or timezone.now()
    rows = (
        queryset.filter(_risk(now))
        .exclude(_missed(now))
        .exclude(department=None)
        .order_by()
        .values("department__slug", "department__name")
        .annotate(n=Count("pk"))
        .order_by("department__name")
    )
    return list(rows)


def policy_departments(*, user: User) -> QuerySet[Department]:
    """The departments whose policies the user edits: all for an admin, the ones led."""
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_org_admin:
        return Department.objects.all()
    return Department.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.LEAD
    ).distinct()


def sla_policy_list(*, user: User) -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.filter(department__in=policy_departments(user=user)).select_related(
        "department"
    )


def sentiment_agreement(*, conversations: QuerySet[Conversation]) -> tuple[float | None, int]:
    """Macro-F1 of the scorer against people over the corrected conversations among
    `conversations` (each one's latest correction), and how many there are."""
    latest: dict[int, tuple[str, str]] = {}
    labels = SentimentLabel.objects.filter(
        conversation__in=conversations.values("pk"), scored__gt=""
    ).order_by("at", "pk")
    for conversation_id, scored, new in labels.values_list("conversation_id", "scored", "new"):
        latest[conversation_id] = (scored, new)
    return macro_f1(latest.values()), len(latest)
