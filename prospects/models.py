"""Sales reps' private prospect lists (optionally mirroring a private X list), the
prospects on them, the organisation's ordered funnel stages and each prospect's stage
history, and the interactions that make up a prospect's one timeline.

Who may see what is decided in selectors.py: a list and its prospects are their owner's
and the people or departments it is shared with — nobody else, organisation admins
included."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socialops.changes import change_field

# X's limit: a list holds at most 5,000 members.
X_LIST_MAX_MEMBERS = 5000
# Members added or removed on X are picked up within 15 minutes (the promise);
# a list syncs every SYNC_INTERVAL, well inside it, and beat looks every minute.
SYNC_INTERVAL = timedelta(minutes=5)


class Stage(models.Model):
    """One of the organisation's funnel stages, in order. `key` is what the written
    stage rules (services.STAGE_RULES) and the API name a stage by; the name is free."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(help_text="Order in the funnel, low to high.")
    is_lost = models.BooleanField(
        default=False, help_text="Outside the funnel's order: the prospect was lost."
    )

    class Meta:
        ordering = ["is_lost", "position", "pk"]

    def __str__(self) -> str:
        return self.name


DEFAULT_STAGES = [
    ("identified", "Identified"),
    ("following", "Following"),
    ("engaged", "Engaged"),
    ("conversation", "Conversation"),
    ("meeting", "Meeting"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
]
LOST_STAGE = ("lost", "Lost")


class ProspectList(models.Model):
    """A rep's list of prospects. With `x_list_id` and `account` it mirrors a private X
    list both ways (sync.py)."""

    class SyncState(models.TextChoices):
        NEVER = "", "Not synced yet"
        OK = "ok", "In sync"
        RATE_LIMITED = "rate_limited", "Waiting for X's rate limit"
        AUTH = "auth", "The X account needs reconnecting"
        ERROR = "error", "Error"

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prospect_lists"
    )
    account = models.ForeignKey(
        "listening.XAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="prospect_lists",
        help_text="The X account that owns the mirrored X list.",
    )
    x_list_id = models.BigIntegerField(null=True, blank=True, help_text="The mirrored X list.")
    # The sync's lease and state (one sync at a time; a dead worker's lease runs out).
    next_sync_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_token = models.CharField(max_length=36, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sync_state = models.CharField(max_length=20, choices=SyncState.choices, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    x_member_count = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["x_list_id"],
                condition=Q(x_list_id__isnull=False),
                name="prospect_list_one_mirror_per_x_list",
                violation_error_message="Another prospect list already mirrors this X list.",
            ),
            models.CheckConstraint(
                condition=Q(x_list_id__isnull=True) | Q(account__isnull=False),
                name="prospect_list_mirror_has_account",
                violation_error_message="A mirrored list needs the X account that owns it.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("prospects:list", kwargs={"pk": self.pk})

    @property
    def is_mirrored(self) -> bool:
        return self.x_list_id is not None

    def clean(self) -> None:
        if self.x_list_id is not None and self.account_id is None:
            raise ValidationError({"account": "Pick the X account that owns the X list."})


class ListShare(models.Model):
    """A list shared with one person or one department, to read or to edit."""

    class Access(models.TextChoices):
        READ = "read", "Read"
        EDIT = "edit", "Edit"

    prospect_list = models.ForeignKey(ProspectList, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="prospect_list_shares",
    )
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="prospect_list_shares",
    )
    access = models.CharField(max_length=4, choices=Access.choices, default=Access.READ)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) ^ Q(department__isnull=True),
                name="list_share_one_recipient",
                violation_error_message="Share with one person or one department.",
            ),
            models.UniqueConstraint(
                fields=["prospect_list", "user"],
                condition=Q(user__isnull=False),
                name="list_share_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["prospect_list", "department"],
                condition=Q(department__isnull=False),
                name="list_share_once_per_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prospect_list} → {self.user or self.department} ({self.access})"


class Prospect(models.Model):
    """A person a rep is prospecting: an X user, with what the rep knows of them."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prospects"
    )
    x_user = models.ForeignKey(
        "listening.XUser",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="prospects",
        help_text="Their X profile, kept fresh by ingestion.",
    )
    name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=100, blank=True)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="prospects")
    # Whose figures this prospect counts in (the metrics rollups): the owner's department
    # when they were added (services._owner_department), kept, so a rep who changes
    # department later does not move last quarter's pipeline with them.
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The owner's department when they were added: whose sales figures count them.",
    )
    stage_changed_at = models.DateTimeField(default=timezone.now)
    crm_id = models.CharField(
        "CRM id", max_length=100, null=True, blank=True, unique=True, help_text="Unique per org."
    )
    value = models.DecimalField(
        "pipeline value",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="What the deal is worth, in the organisation's currency.",
    )
    notes = models.TextField(blank=True)
    tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated.")
    coupon_code = models.CharField(
        max_length=40, blank=True, help_text="A coupon given to them alone: its conversions count."
    )
    links = models.ManyToManyField(
        "campaigns.TrackedLink",
        blank=True,
        related_name="prospects",
        help_text="Tracked links sent to them alone: clicks on these are theirs.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-updated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "x_user"],
                name="prospect_once_per_owner",
                violation_error_message="This person is already your prospect.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("prospects:prospect", kwargs={"pk": self.pk})

    @property
    def display_name(self) -> str:
        return self.name or f"@{self.x_user.username}"

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


class ListMember(models.Model):
    """A prospect on a list. On a mirrored list, `state` says where the change stands
    with X: added or removed here and not yet on X (pending), or as on X (active)."""

    class State(models.TextChoices):
        ACTIVE = "active", "On the list"
        PENDING_ADD = "pending_add", "Being added on X"
        PENDING_REMOVE = "pending_remove", "Being removed on X"

    prospect_list = models.ForeignKey(
        ProspectList, on_delete=models.CASCADE, related_name="members"
    )
    prospect = models.ForeignKey(
        Prospect, on_delete=models.CASCADE, related_name="list_memberships"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["prospect_list", "prospect"],
                name="list_member_once",
                violation_error_message="Already on this list.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prospect} on {self.prospect_list}"


class MemberEvent(models.Model):
    """The list's membership history: who joined or left, when, from where."""

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"

    class Origin(models.TextChoices):
        PRODUCT = "product", "Here"
        X = "x", "On X"

    prospect_list = models.ForeignKey(
        ProspectList, on_delete=models.CASCADE, related_name="member_events"
    )
    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="member_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prospect} {self.action} ({self.origin})"


class StageChange(models.Model):
    """A prospect's stage history: who moved them, when and why (None: a written rule)."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the prospect entered from_stage: at − since is the time they spent in it.
    since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prospect}: {self.from_stage} → {self.to_stage}"


class Interaction(models.Model):
    """One entry of a prospect's timeline. Touches are logged by the rep (or a CRM);
    the rest are collected from stored rows (posts, clicks, conversions) or handed over
    by the inbox (replies and DMs), each once: `ref` names the row behind it."""

    class Kind(models.TextChoices):
        POST = "post", "Their post"
        MENTION = "mention", "They mentioned us"
        REPLY_RECEIVED = "reply_received", "They replied to us"
        OUR_REPLY = "our_reply", "Our reply"
        DM_SENT = "dm_sent", "Our DM"
        DM_RECEIVED = "dm_received", "Their DM"
        CLICK = "click", "Clicked our link"
        CONVERSION = "conversion", "Conversion"
        CALL = "call", "Call"
        EMAIL = "email", "E-mail"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"

    TOUCHES = (Kind.CALL, Kind.EMAIL, Kind.MEETING, Kind.NOTE)
    # What a rep or the inbox did towards the prospect (touches per rep count these).
    OUTREACH = (Kind.OUR_REPLY, Kind.DM_SENT, *TOUCHES)

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What it stands for: "tweet:<id>", "click:<id>", "conversion:<id>", "dm:<id>"; blank
    # for a touch logged by hand.
    ref = models.CharField(max_length=60, blank=True)
    tweet_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["prospect", "-occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["prospect", "kind", "ref"],
                condition=~Q(ref=""),
                name="interaction_once_per_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.prospect}"

    @property
    def is_touch(self) -> bool:
        return self.kind in self.TOUCHES
