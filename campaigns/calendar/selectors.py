"""Reads for the editorial calendar: posts, the approvals they need, recurring slots and
their occurrences, calendar feeds, approval cycle time, and the posts late going out.

Every signed-in member sees the whole calendar; anonymous callers see nothing (the
iCalendar feed is read by its secret token instead)."""

from __future__ import annotations

import statistics
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from campaigns.models import (
    ApprovalRule,
    CalendarFeed,
    PostApproval,
    PostEvent,
    RecurringSlot,
    ScheduledPost,
)
from departments import permissions as dept_perms
from departments.models import Department
from departments.selectors import organisation_get
from socialops.models import User

Status = ScheduledPost.Status

# Statuses a post can still be moved on the calendar in.
MOVABLE = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED)
# Statuses whose text is changed by an edit (published and sending posts are history).
EDITABLE = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED, Status.REJECTED)
# What a calendar feed shows: what is going out or went out.
IN_FEED = (Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED)


def organisation_zone() -> zoneinfo.ZoneInfo:
    """The organisation's time zone: slots and the calendar's days are in it."""
    try:
        return zoneinfo.ZoneInfo(organisation_get().time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- Posts ----------------------------------------------------------------------------


def post_list(*, user: User) -> QuerySet[ScheduledPost]:
    if not (user.is_authenticated and user.is_active):
        return ScheduledPost.objects.none()
    return ScheduledPost.objects.select_related(
        "account", "department", "campaign", "offer", "slot", "owner", "created_by"
    ).prefetch_related("parts")


def post_detail_list(*, user: User) -> QuerySet[ScheduledPost]:
    """Posts with their history and approvals, for a post's page or an API answer."""
    return post_list(user=user).prefetch_related(
        Prefetch("events", queryset=PostEvent.objects.select_related("actor", "department")),
        Prefetch(
            "approvals", queryset=PostApproval.objects.select_related("approved_by", "department")
        ),
    )


def post_in_period(
    queryset: QuerySet[ScheduledPost], *, start: datetime, end: datetime
) -> QuerySet[ScheduledPost]:
    return queryset.filter(scheduled_at__gte=start, scheduled_at__lt=end)


# --- Approvals ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRequirement:
    """One department's approval a post needs in its current review round."""

    department: Department
    allow_self_approval: bool
    rules: tuple[ApprovalRule, ...] = ()  # empty: the department's own lead, no rule

    @property
    def reason(self) -> str:
        if not self.rules:
            return "Every post needs its department lead's approval."
        return "; ".join(_rule_scope(rule) for rule in self.rules)


def _rule_scope(rule: ApprovalRule) -> str:
    if rule.category and rule.only_with_offer:
        return f"{rule.get_category_display()} posts with an offer"
    if rule.category:
        return f"{rule.get_category_display()} posts"
    if rule.only_with_offer:
        return "posts with an offer"
    return "all posts"


def rules_by_department() -> dict[int, list[ApprovalRule]]:
    """Every approval rule, by the department whose posts it covers (one query)."""
    rules: dict[int, list[ApprovalRule]] = {}
    for rule in ApprovalRule.objects.select_related("approver_department"):
        rules.setdefault(rule.department_id, []).append(rule)
    return rules


def rule_applies(rule: ApprovalRule, post: ScheduledPost) -> bool:
    if rule.category and rule.category != post.category:
        return False
    return not (rule.only_with_offer and post.offer_id is None)


def post_approval_requirements(
    *, post: ScheduledPost, rules: dict[int, list[ApprovalRule]] | None = None
) -> list[ApprovalRequirement]:
    """The departments that must approve the post, from the rules of its department that
    apply to it (its category, whether it carries an offer); none applies → its own
    department's lead. Several rules naming one approver make one approval, and its
    author may give it only if every one of them allows that."""
    if rules is None:
        department_rules = list(
            ApprovalRule.objects.filter(department_id=post.department_id).select_related(
                "approver_department"
            )
        )
    else:
        department_rules = rules.get(post.department_id, [])
    by_approver: dict[int, list[ApprovalRule]] = {}
    for rule in department_rules:
        if rule_applies(rule, post):
            by_approver.setdefault(rule.approver_department_id, []).append(rule)
    if not by_approver:
        return [ApprovalRequirement(department=post.department, allow_self_approval=False)]
    return sorted(
        (
            ApprovalRequirement(
                department=applied[0].approver_department,
                allow_self_approval=all(rule.allow_self_approval for rule in applied),
                rules=tuple(applied),
            )
            for applied in by_approver.values()
        ),
        key=lambda requirement: requirement.department.name,
    )


@dataclass(frozen=True)
class ApprovalState:
    requirement: ApprovalRequirement
    approval: PostApproval | None

    @property
    def department(self) -> Department:
        return self.requirement.department

    @property
    def given(self) -> bool:
        return self.approval is not None


def post_approval_states(
    *, post: ScheduledPost, rules: dict[int, list[ApprovalRule]] | None = None
) -> list[ApprovalState]:
    """Each approval the post needs with the one given in its current round, if any.
    Uses prefetched approvals when there are some."""
    given = {
        approval.department_id: approval
        for approval in post.approvals.all()
        if approval.review_round == post.review_round
    }
    return [
        ApprovalState(requirement=requirement, approval=given.get(requirement.department.pk))
        for requirement in post_approval_requirements(post=post, rules=rules)
    ]


# --- Recurring slots ------------------------------------------------------------------


def slot_list(*, user: User, department: Department | None = None) -> QuerySet[RecurringSlot]:
    if not (user.is_authenticated and user.is_active):
        return RecurringSlot.objects.none()
    qs = RecurringSlot.objects.select_related("department", "account")
    if department is not None:
        qs = qs.filter(department=department)
    return qs


def _first_on_or_after(slot: RecurringSlot, day: date) -> date:
    return day + timedelta(days=(slot.weekday - day.weekday()) % 7)


def slot_occurs_on(slot: RecurringSlot, day: date) -> bool:
    """Is `day` (in the organisation's zone) one of the slot's days?"""
    if day.weekday() != slot.weekday or day < slot.starts_on:
        return False
    if slot.ends_on is not None and day > slot.ends_on:
        return False
    first = _first_on_or_after(slot, slot.starts_on)
    return ((day - first).days // 7) % slot.every_weeks == 0


def slot_occurs_at(
    slot: RecurringSlot, at: datetime, zone: zoneinfo.ZoneInfo | None = None
) -> bool:
    local = timezone.localtime(at, zone or organisation_zone())
    return local.time().replace(second=0, microsecond=0) == slot.time.replace(
        second=0, microsecond=0
    ) and slot_occurs_on(slot, local.date())


def slot_datetime(slot: RecurringSlot, day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, slot.time, tzinfo=zone)


@dataclass
class SlotOccurrence:
    """One date of a recurring slot; `posts` are the posts that fill it."""

    slot: RecurringSlot
    at: datetime
    posts: list[ScheduledPost] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.posts


def slot_occurrences(
    *,
    user: User,
    start: datetime,
    end: datetime,
    department: Department | None = None,
    slots: QuerySet[RecurringSlot] | None = None,
) -> list[SlotOccurrence]:
    """Every occurrence of the active slots from `start` (inclusive) to `end` (exclusive),
    each with the posts that fill it (a post fills an occurrence when it names the slot
    and is scheduled at that time). Rejected posts do not fill a slot."""
    zone = organisation_zone()
    if slots is None:
        slots = slot_list(user=user, department=department)
    slots = list(slots.filter(is_active=True))
    if not slots:
        return []
    first_day = timezone.localtime(start, zone).date()
    last_day = timezone.localtime(end, zone).date()
    occurrences: list[SlotOccurrence] = []
    for slot in slots:
        day = _first_on_or_after(slot, max(first_day, slot.starts_on))
        while day <= last_day and (slot.ends_on is None or day <= slot.ends_on):
            if slot_occurs_on(slot, day):
                at = slot_datetime(slot, day, zone)
                if start <= at < end:
                    occurrences.append(SlotOccurrence(slot=slot, at=at))
            day += timedelta(days=7)
    by_key = {(o.slot.pk, o.at): o for o in occurrences}
    filling = (
        post_list(user=user)
        .filter(slot__in=slots, scheduled_at__gte=start, scheduled_at__lt=end)
        .exclude(status=Status.REJECTED)
    )
    for post in filling:
        occurrence = by_key.get((post.slot_id, post.scheduled_at))
        if occurrence is not None:
            occurrence.posts.append(post)
    return sorted(occurrences, key=lambda o: (o.at, o.slot.title))


# --- Calendar feeds -------------------------------------------------------------------


def calendar_feed_list(*, user: User) -> QuerySet[CalendarFeed]:
    if not (user.is_authenticated and user.is_active):
        return CalendarFeed.objects.none()
    return CalendarFeed.objects.select_related("department", "created_by")


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """The feed a secret URL names, or None. The token is the credential: no user."""
    if not token:
        return None
    return CalendarFeed.objects.select_related("department").filter(token=token).first()


def calendar_feed_posts(*, feed: CalendarFeed) -> QuerySet[ScheduledPost]:
    """What a feed shows: its department's scheduled and published posts (everyone's for
    the organisation-wide feed), from four weeks back on."""
    qs = ScheduledPost.objects.select_related("account", "department").filter(
        status__in=IN_FEED, scheduled_at__isnull=False
    )
    if feed.department_id is not None:
        qs = qs.filter(department_id=feed.department_id)
    return qs.filter(scheduled_at__gte=timezone.now() - timedelta(days=28))


# --- Approval cycle time --------------------------------------------------------------


@dataclass(frozen=True)
class CycleTime:
    department: Department
    approved: int
    median: timedelta
    longest: timedelta


def approval_cycle_times(
    *, user: User, start: datetime, end: datetime, department: Department | None = None
) -> list[CycleTime]:
    """Median time from submission to full approval, per department, of the posts
    approved from `start` to `end`. A post resubmitted after a rejection counts from its
    last submission: the round that went through."""
    qs = (
        post_list(user=user)
        .prefetch_related(None)
        .select_related(None)
        .select_related("department")
        .filter(approved_at__gte=start, approved_at__lt=end, submitted_at__isnull=False)
        .filter(approved_at__gte=F("submitted_at"))
    )
    if department is not None:
        qs = qs.filter(department=department)
    durations: dict[int, list[timedelta]] = {}
    departments: dict[int, Department] = {}
    for post in qs:
        durations.setdefault(post.department_id, []).append(post.approved_at - post.submitted_at)
        departments[post.department_id] = post.department
    return sorted(
        (
            CycleTime(
                department=departments[pk],
                approved=len(values),
                median=statistics.median(values),
                longest=max(values),
            )
            for pk, values in durations.items()
        ),
        key=lambda row: row.department.name,
    )


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, zone: zoneinfo.ZoneInfo | None = None) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone or organisation_zone())


# --- Publishing: posts that are late going out -----------------------------------------

LATE = (Status.SCHEDULED, Status.PUBLISHING)


def post_stuck_list(*, user: User, now: datetime | None = None) -> QuerySet[ScheduledPost]:
    """Posts that should have gone out more than PUBLISH_STUCK_AFTER ago and have not
    (still scheduled, or still being sent), oldest first — for the people who can act on
    them: the editors of the post's department, and admins. (Everyone reads the calendar;
    the alert is for those who can retry or move the post.)"""
    if not (user.is_authenticated and user.is_active):
        return ScheduledPost.objects.none()
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PUBLISH_STUCK_AFTER)
    posts = ScheduledPost.objects.filter(status__in=LATE, scheduled_at__lt=cutoff)
    if not user.is_org_admin:
        posts = posts.filter(
            department__memberships__user=user,
            department__memberships__role__in=dept_perms.EDITOR_ROLES,
        )
    return posts.select_related("account", "department").order_by("scheduled_at", "pk")
