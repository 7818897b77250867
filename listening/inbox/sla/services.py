"""SLA clocks, business-hours durations, policies and sentiment corrections.

A conversation's clocks (each only when its policy sets a target):
1. first response: from the first unanswered inbound message (awaiting_since) until a
   person's first reply;
2. next response: from a later unanswered inbound message until a person's reply;
3. resolution: from the first message while the conversation is open or waiting on them.
For each running clock the instant at AT_RISK (75 %) of its target and the instant at
100 % are computed (in the department's opening hours when the policy says so); the
conversation stores the earliest of each (sla_at_risk_at, sla_due_at), so lists compare
them with now in SQL. clock_refresh runs whenever the conversation changes (a message,
a reply, a status, priority or department change, a policy change); a due instant that
has passed when it runs makes sla_missed true for good."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from departments.hours import Calendar
from departments.models import Department, Membership
from departments.selectors import department_calendar
from listening.inbox import permissions as perms
from listening.inbox.models import (
    Conversation,
    Event,
    ResponseTime,
    Sentiment,
    SentimentLabel,
    Status,
)
from listening.inbox.sla.models import AT_RISK, SlaPolicy
from socialops.marks import Family, mark
from socialops.models import User
from socialops.services import instance_delete, instance_save, snapshot

OPEN = (Status.OPEN, Status.WAITING)


def calendar_of(department_id: int | None, cache: dict | None = None) -> Calendar:
    """The department's business-hours calendar (kept in `cache` for bulk work)."""
    if cache is not None and department_id in cache:
        return cache[department_id]
    department = Department.objects.filter(pk=department_id).first() if department_id else None
    cal = department_calendar(department=department)
    if cache is not None:
        cache[department_id] = cal
    return cal


def business_seconds(department_id: int | None, start: datetime, end: datetime) -> int:
    return int(calendar_of(department_id).seconds(start, end))


def policy_of(conversation: Conversation) -> SlaPolicy | None:
    if conversation.department_id is None:
        return None
    return SlaPolicy.objects.filter(
        department_id=conversation.department_id, priority=conversation.priority
    ).first()


def _instant(policy: SlaPolicy, cal: Calendar, start: datetime, minutes: float) -> datetime:
    if policy.business_hours:
        return cal.moment_after(start, minutes * 60)
    return start + timedelta(minutes=minutes)


def clocks(
    conversation: Conversation, policy: SlaPolicy | None, cal: Calendar | None = None
) -> tuple[datetime | None, datetime | None]:
    """(at risk at, due at): the earliest over the running clocks; (None, None) when
    none runs."""
    if policy is None:
        return None, None
    running: list[tuple[datetime, int]] = []
    if conversation.awaiting_since is not None:
        target = (
            policy.first_response_minutes
            if conversation.first_response_at is None
            else policy.next_response_minutes
        )
        if target:
            running.append((conversation.awaiting_since, target))
    if conversation.status in OPEN and policy.resolution_minutes:
        running.append((conversation.first_message_at, policy.resolution_minutes))
    if not running:
        return None, None
    if policy.business_hours and cal is None:
        cal = calendar_of(conversation.department_id)
    risks = [_instant(policy, cal, start, target * AT_RISK) for start, target in running]
    dues = [_instant(policy, cal, start, target) for start, target in running]
    return min(risks), min(dues)


def clock_refresh(
    conversation: Conversation,
    *,
    now: datetime | None = None,
    policy: SlaPolicy | bool | None = False,
    cal: Calendar | None = None,
    save: bool = True,
) -> list[str]:
    """Recompute the conversation's SLA fields (see the module's steps). Call with the
    conversation locked, after its other fields changed. Returns the fields changed
    (saved unless save=False)."""
    now = now or timezone.now()
    if policy is False:
        policy = policy_of(conversation)
    at_risk, due = clocks(conversation, policy, cal)
    missed = conversation.sla_missed or (
        conversation.sla_due_at is not None and conversation.sla_due_at <= now
    )
    new = {
        "sla_policy_id": policy.pk if policy else None,
        "sla_at_risk_at": at_risk,
        "sla_due_at": due,
        "sla_missed": missed,
    }
    changed = [k for k, v in new.items() if getattr(conversation, k) != v]
    for key in changed:
        setattr(conversation, key, new[key])
    fields = [k.removesuffix("_id") for k in changed]
    if fields and save:
        Conversation.objects.filter(pk=conversation.pk).update(**{k: new[k] for k in changed})
    return fields


def response_measure(
    conversation: Conversation, *, kind: str, started_at: datetime, at: datetime
) -> tuple[int, bool | None]:
    """A response's business seconds and whether it came within the policy's target."""
    cal = calendar_of(conversation.department_id)
    business = int(cal.seconds(started_at, at))
    policy = policy_of(conversation)
    target = None
    if policy is not None:
        target = (
            policy.first_response_minutes
            if kind == ResponseTime.Kind.FIRST
            else policy.next_response_minutes
        )
    if not target:
        return business, None
    used = business if policy.business_hours else (at - started_at).total_seconds()
    return business, used <= target * 60


def resolution_measure(conversation: Conversation, at: datetime) -> int:
    return business_seconds(conversation.department_id, conversation.first_message_at, at)


def inbox_mark(*moments: datetime | None) -> None:
    """The inbox metrics' days these rows touch (in the caller's transaction)."""
    mark(Family.INBOX, moments)


# --- Policies (organisation admins and the department's leads) --------------------------


def can_manage(user: User, department: Department | None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_org_admin:
        return True
    if department is None:
        return False
    return Membership.objects.filter(
        user=user, department=department, role=Membership.Role.LEAD
    ).exists()


POLICY_FIELDS = {
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "business_hours",
}


def sla_policy_save(*, actor: User, department: Department, priority: str, **fields) -> SlaPolicy:
    """Create or change the department's policy for a priority; the open conversations
    it covers get their clocks again."""
    perms.require(can_manage(actor, department), "Only the department's leads or an admin.")
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))}")
    with transaction.atomic():
        policy = (
            SlaPolicy.objects.select_for_update()
            .filter(department=department, priority=priority)
            .first()
        )
        before = snapshot(policy) if policy else None
        policy = policy or SlaPolicy(department=department, priority=priority)
        for key, value in fields.items():
            setattr(policy, key, value)
        instance_save(actor=actor, instance=policy, before=before, department=department)
        policies_apply(department_id=department.pk)
    return policy


def sla_policy_delete(*, actor: User, policy: SlaPolicy) -> None:
    perms.require(can_manage(actor, policy.department), "Only the department's leads or an admin.")
    department_id = policy.department_id
    with transaction.atomic():
        instance_delete(actor=actor, instance=policy, department=policy.department)
        policies_apply(department_id=department_id)


def policies_apply(*, department_id: int | None, now: datetime | None = None) -> int:
    """Recompute the clocks of the department's open conversations (or those that had a
    policy): after a policy or the department's hours changed. Returns how many changed."""
    now = now or timezone.now()
    policies = {p.priority: p for p in SlaPolicy.objects.filter(department_id=department_id)}
    cal = calendar_of(department_id)
    changed = 0
    rows = Conversation.objects.filter(department_id=department_id, status__in=OPEN)
    for conversation in rows.select_for_update(of=("self",)).iterator(chunk_size=500):
        if clock_refresh(
            conversation, now=now, policy=policies.get(conversation.priority), cal=cal
        ):
            changed += 1
    return changed


# --- Sentiment corrections ----------------------------------------------------------------


def conversation_sentiment_correct(
    *, actor: User, conversation: Conversation, sentiment: str
) -> SentimentLabel | None:
    """A person says what the conversation's sentiment is: kept as a label (who, when,
    old → new, the scorer's label) and shown from now on. None when nothing changed."""
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    if sentiment not in Sentiment.values:
        raise ValidationError({"sentiment": f"“{sentiment}” is not a sentiment."})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.sentiment == sentiment:
            return None
        now = timezone.now()
        label = SentimentLabel.objects.create(
            conversation=conversation,
            scored=conversation.sentiment_scored,
            old=conversation.sentiment,
            new=sentiment,
            by=actor,
            at=now,
        )
        old = conversation.get_sentiment_display() or "none"
        conversation.sentiment = sentiment
        conversation.save(update_fields=["sentiment", "updated_at"])
        Event.objects.create(
            conversation=conversation,
            action=Event.Action.SENTIMENT,
            actor=actor,
            detail=f"{old} → {Sentiment(sentiment).label}",
            at=now,
        )
        inbox_mark(conversation.first_message_at)
    return label
