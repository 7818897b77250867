"""The editorial calendar: scheduled posts, their approval workflow, recurring slots and
the calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from departments.models import Department
from listening.models import XAccount
from socialops.params import validate_day_in_range


class ContentCategory(models.TextChoices):
    """The "what" of a post, as the editorial plan names it."""

    PRODUCT_NEWS = "product_news", "Product news"
    TIPS = "tips", "Tips and how-tos"
    CUSTOMER_STORY = "customer_story", "Customer story"
    EVENT = "event", "Event"
    OFFER = "offer", "Offer"
    COMPANY_NEWS = "company_news", "Company news"
    INDUSTRY = "industry", "Industry and thought leadership"
    CULTURE = "culture", "Team and culture"
    ENGAGEMENT = "engagement", "Question or poll"
    OTHER = "other", "Other"


class ScheduledPost(models.Model):
    """A post on the calendar, from draft to published.

    draft → in_review → approved → scheduled → publishing → published, or rejected (with a
    reason, back to draft on edit) or failed (with X's error; retry puts it back to
    scheduled). `publishing` is the claimed state: the row records the intent to send
    before anything reaches X, so a crash can be reconciled instead of posting twice.
    """

    class Kind(models.TextChoices):
        POST = "post", "Post"
        THREAD = "thread", "Thread"
        REPLY = "reply", "Reply"
        QUOTE = "quote", "Quote"
        REPOST = "repost", "Repost"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(XAccount, on_delete=models.PROTECT, related_name="scheduled_posts")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="scheduled_posts"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    offer = models.ForeignKey(
        "campaigns.Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    slot = models.ForeignKey(
        "campaigns.RecurringSlot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="posts",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POST)
    category = models.CharField(max_length=20, choices=ContentCategory.choices)
    # The first part; a thread's further parts are PostParts. Empty for a plain repost.
    text = models.TextField(blank=True)
    # What a reply answers, a quote quotes or a repost reposts (an X post id).
    target_x_id = models.BigIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_posts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    scheduled_at = models.DateTimeField(
        null=True, blank=True, db_index=True, validators=[validate_day_in_range]
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Approvals are counted per review round: a rejected post edited and resubmitted
    # needs its approvals again.
    review_round = models.PositiveIntegerField(default=0)
    rejection_reason = models.TextField(blank=True)
    # Publishing: the claim (who, when) is the recorded intent; x_post_id the result.
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    x_post_id = models.BigIntegerField(null=True, blank=True, unique=True)
    published_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="post_status_due"),
            models.Index(fields=["department", "scheduled_at"], name="post_department_time"),
            # The department dashboard's top posts (metrics.dashboard_selectors): those
            # published in a period (by engagements), and which posts are the
            # department's, read from the index alone (by clicks). Without it, both read
            # every post the department ever made, text and all.
            models.Index(
                fields=["department", "published_at"],
                include=["id"],
                name="post_department_published",
            ),
            # The metrics rollup recomputes a few days of published posts at a time.
            models.Index(fields=["published_at"], name="post_published_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(x_post_id__isnull=False),
                name="post_published_has_x_id",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60] or f"{self.get_kind_display()} {self.pk}"


class PostPart(models.Model):
    """The second and later parts of a thread, each a reply to the one before it."""

    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField()  # 1, 2, … (the post itself is part 0)
    text = models.TextField()
    x_post_id = models.BigIntegerField(null=True, blank=True, unique=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["post", "position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="postpart_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.post_id}/{self.position}"


class ApprovalRule(models.Model):
    """Posts of `department` need an approval from `approver_department` — for every post,
    or only for posts of one category, or only for posts that carry an offer. A
    department with no rule that applies needs one approval by its own lead."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="approval_rules"
    )
    approver_department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="approvals_owed"
    )
    category = models.CharField(max_length=20, choices=ContentCategory.choices, blank=True)
    only_with_offer = models.BooleanField(default=False)
    # May the post's author (or owner) give this approval? Off by default: four eyes.
    allow_self_approval = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department", "approver_department"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "approver_department", "category", "only_with_offer"],
                name="approvalrule_unique",
            )
        ]

    def __str__(self) -> str:
        scope = self.get_category_display() if self.category else "all posts"
        if self.only_with_offer:
            scope += " with an offer"
        return f"{self.department} → {self.approver_department} ({scope})"


class PostApproval(models.Model):
    """One department's approval of one review round of a post."""

    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="approvals")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    review_round = models.PositiveIntegerField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "department", "review_round"], name="postapproval_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.post_id} approved by {self.department}"


class PostEvent(models.Model):
    """Every step of a post's life: who, when, what. Approval cycle time is the time
    from `submitted` to `approved` events."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        # A change of what was approved (words, parts, target, account): its actor counts
        # as an author of the post for the four-eyes rule.
        REWRITTEN = "rewritten", "Content changed"
        VOIDED = "voided", "Approvals voided"
        SUBMITTED = "submitted", "Submitted for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SCHEDULED = "scheduled", "Scheduled"
        RESCHEDULED = "rescheduled", "Rescheduled"
        UNSCHEDULED = "unscheduled", "Back to draft"
        CLAIMED = "claimed", "Sending to X"
        PUBLISHED = "published", "Published"
        RECONCILED = "reconciled", "Found on X after a restart"
        FAILED = "failed", "Failed"
        RETRIED = "retried", "Retry requested"

    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # For approvals: the department the actor approved for.
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.post_id} {self.action} at {self.at:%Y-%m-%d %H:%M}"


class RecurringSlot(models.Model):
    """A standing place on the calendar ("tips every Tuesday 10:00") that the team fills;
    occurrences without a post show as empty slots."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="recurring_slots"
    )
    account = models.ForeignKey(
        XAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=ContentCategory.choices)
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    time = models.TimeField(help_text="In the organisation's time zone.")
    every_weeks = models.PositiveSmallIntegerField(
        choices=[(1, "Every week"), (2, "Every other week")], default=1
    )
    starts_on = models.DateField(validators=[validate_day_in_range])
    ends_on = models.DateField(null=True, blank=True, validators=[validate_day_in_range])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department", "weekday", "time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="slot_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A secret iCalendar URL for one department's calendar (or everyone's, with no
    department). Anyone with the URL can read the feed; rotating the token revokes it."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    # The address's password: the audit trail says it was set or changed, never what it is.
    audit_secrets = ("token",)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed for {self.department or 'everyone'}"
