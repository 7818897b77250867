"""The inbox's data: conversations, their messages, notes and history, the routing rules
that place them, the agents who answer them and the replies sent to X.

Registered through the listening app (listening/models.py imports this module), so the
tables are listening's and other apps refer to them as "listening.Conversation"."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from socialops.changes import change_field


class Status(models.TextChoices):
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on them"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class MessageKind(models.TextChoices):
    MENTION = "mention", "Mention"
    REPLY = "reply", "Reply to our post"
    QUOTE = "quote", "Quote of our post"
    DM = "dm", "Direct message"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Tag(models.Model):
    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """One rule of the organisation's ordered routing: every condition set must hold (an
    empty one always does); the first enabled rule that matches places the conversation."""

    class Verified(models.TextChoices):
        ANY = "", "Any"
        YES = "yes", "Verified only"
        NO = "no", "Not verified only"

    position = models.PositiveIntegerField(default=0, help_text="Lower runs first.")
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    keywords = models.CharField(
        max_length=500, blank=True, help_text="Any of these words, comma-separated."
    )
    exclude_keywords = models.CharField(
        max_length=500, blank=True, help_text="None of these words, comma-separated."
    )
    message_kind = models.CharField(max_length=10, choices=MessageKind.choices, blank=True)
    account = models.ForeignKey(
        "listening.XAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.ForeignKey(
        "listening.Source", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_followers = models.PositiveIntegerField(null=True, blank=True)
    verified = models.CharField(max_length=3, choices=Verified.choices, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="X's code, e.g. en, es.")
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="routing_rules"
    )
    priority = models.CharField(
        max_length=10, choices=Priority.choices, blank=True, help_text="Blank: normal."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def words(value: str) -> list[str]:
        return [w.strip().lower() for w in value.split(",") if w.strip()]


class InboxSettings(models.Model):
    """Organisation-wide inbox settings (always pk=1)."""

    default_department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where a conversation goes when no rule and no source says otherwise.",
    )

    class Meta:
        verbose_name_plural = "inbox settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="inbox_settings_singleton")]

    def __str__(self) -> str:
        return "Inbox settings"


class DepartmentInbox(models.Model):
    """How a department's conversations are assigned."""

    class Assignment(models.TextChoices):
        MANUAL = "manual", "Manual"
        ROUND_ROBIN = "round_robin", "Round robin"
        FEWEST_OPEN = "fewest_open", "Fewest open"

    department = models.OneToOneField(
        "departments.Department", on_delete=models.CASCADE, related_name="inbox"
    )
    assignment = models.CharField(
        max_length=20, choices=Assignment.choices, default=Assignment.MANUAL
    )
    # Round robin: who got the last one (the next available member after them is next).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.department}: {self.get_assignment_display()}"


class Agent(models.Model):
    """A member answering a department's inbox: whether they are available and how many
    open conversations they take at most."""

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="agents"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_agents"
    )
    available = models.BooleanField(default=True)
    capacity = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )

    class Meta:
        ordering = ["department", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["department", "user"], name="inbox_agent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.department}"


class Conversation(models.Model):
    """A public thread (X's conversation_id) or a DM conversation (its dm_conversation_id)
    as one piece of work for a department."""

    class Kind(models.TextChoices):
        PUBLIC = "public", "Public thread"
        DM = "dm", "Direct messages"

    class RoutedBy(models.TextChoices):
        RULE = "rule", "A routing rule"
        SOURCE = "source", "Its source's department"
        PRIVATE_LIST = "private_list", "Its prospect list's owner's department"
        DEFAULT = "default", "The organisation's default"
        PERSON = "person", "Moved by a person"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    x_conversation_id = models.BigIntegerField(null=True, blank=True)
    dm_conversation_id = models.CharField(max_length=64, blank=True)
    account = models.ForeignKey(
        "listening.XAccount", on_delete=models.CASCADE, related_name="conversations"
    )
    author = models.ForeignKey(
        "listening.XUser",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="conversations",
        help_text="Who wrote to us first.",
    )
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    routed_by = models.CharField(max_length=20, choices=RoutedBy.choices, blank=True)
    routing_rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Read only through a private prospect list: nobody but the list's owner sees it.
    private_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbox_conversations",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    preview = models.CharField(max_length=280, blank=True)
    # Bumped by every message, note and reply: a reply written against an older version
    # is refused (someone else answered or said something meanwhile).
    version = models.PositiveIntegerField(default=1)
    first_message_at = models.DateTimeField()
    last_message_at = models.DateTimeField(db_index=True)
    # The first inbound message no person has answered yet (None: nothing waits).
    awaiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The same durations within the routed department's opening hours.
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The scorer's label (sentiment may be a person's correction of it).
    sentiment_scored = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    # SLA (listening.inbox.sla): the policy that applies and, for the targets whose clock
    # runs, the earliest instants at 75 % used and at 100 %, recomputed whenever the
    # conversation changes, so a list compares them with now in SQL; sla_missed stays
    # once a target was missed.
    sla_policy = models.ForeignKey(
        "listening.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_at_risk_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_missed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["x_conversation_id"],
                condition=Q(kind="public"),
                name="conversation_public_unique",
            ),
            models.UniqueConstraint(
                fields=["dm_conversation_id"],
                condition=Q(kind="dm"),
                name="conversation_dm_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="dm") | Q(x_conversation_id__isnull=False),
                name="conversation_public_has_id",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "-last_message_at"]),
            models.Index(fields=["assignee", "status"]),
            # The running SLA clocks: the at-risk ones float to the top of a list.
            models.Index(
                fields=["department", "sla_at_risk_at"],
                condition=Q(sla_at_risk_at__isnull=False),
                name="conversation_sla_running",
            ),
        ]

    def __str__(self) -> str:
        return self.preview[:60] or f"Conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("inbox:conversation", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in (Status.OPEN, Status.WAITING)


class Message(models.Model):
    """One message of a conversation: a post on X (mention, reply, quote, or our answer)
    or a direct message (dm_event_id: X's event id, the key of listening.DirectMessage)."""

    class Direction(models.TextChoices):
        INBOUND = "in", "From them"
        OUTBOUND = "out", "From us"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    tweet = models.OneToOneField(
        "listening.Tweet",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="inbox_message",
    )
    # X's id of a post we sent (a Tweet row arrives only once a source reads it back).
    x_post_id = models.BigIntegerField(null=True, blank=True, unique=True)
    dm_event_id = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(
        "listening.XUser",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dm_event_id"], condition=~Q(dm_event_id=""), name="message_dm_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Note(models.Model):
    """An internal note: seen by the people who see the conversation, never sent to X."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Event(models.Model):
    """The conversation's history: who did what, when."""

    class Action(models.TextChoices):
        CREATED = "created", "Arrived"
        MESSAGE = "message", "New message"
        ROUTED = "routed", "Routed"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Back to the queue"
        STATUS = "status", "Status changed"
        PRIORITY = "priority", "Priority changed"
        TAGGED = "tagged", "Tags changed"
        NOTE = "note", "Note added"
        REPLY_QUEUED = "reply_queued", "Reply queued"
        REPLY_SENT = "reply_sent", "Reply sent"
        REPLY_FAILED = "reply_failed", "Reply failed"
        RECONCILED = "reconciled", "Reply found on X"
        SENTIMENT = "sentiment", "Sentiment corrected"
        LIKED = "liked", "Liked"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.detail}"


class SavedReply(models.Model):
    """A department's ready answer to a frequent question."""

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="saved_replies"
    )
    title = models.CharField(max_length=100)
    text = models.TextField(max_length=280)

    class Meta:
        ordering = ["department", "title"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


class Reply(models.Model):
    """An answer on X (a threaded reply, a quote, a like, a DM), sent exactly once: the
    row is the intent, claimed before it is sent, and X's id (a post's, or a DM event's)
    is stored as soon as X answers."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        QUOTE = "quote", "Quote"
        LIKE = "like", "Like"
        DM = "dm", "Direct message"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    # The message answered. One public reply per message: never two answers to one.
    in_reply_to = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPLY)
    text = models.TextField(max_length=280, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    x_post_id = models.BigIntegerField(null=True, blank=True, unique=True)
    dm_event_id = models.CharField(max_length=64, blank=True)
    reconciled = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "replies"
        constraints = [
            models.UniqueConstraint(
                fields=["in_reply_to", "kind"],
                condition=~Q(state="failed"),
                name="reply_one_per_message",
                violation_error_message="This message already has an answer of this kind.",
            ),
            models.UniqueConstraint(
                fields=["dm_event_id"], condition=~Q(dm_event_id=""), name="reply_dm_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"

    def clean(self) -> None:
        if self.kind != self.Kind.LIKE and not self.text.strip():
            raise ValidationError({"text": "Write the reply."})
        if self.kind == self.Kind.LIKE and self.text:
            raise ValidationError({"text": "A like has no text."})


class ResponseTime(models.Model):
    """One wait for our answer: from the first unanswered inbound message to a person's
    reply (first: the conversation's first; next: any later one), in calendar seconds and
    in business seconds."""

    class Kind(models.TextChoices):
        FIRST = "first", "First response"
        NEXT = "next", "Next response"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="response_times"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(db_index=True)
    seconds = models.PositiveIntegerField()
    # Within the department's opening hours (listening.inbox.sla), and whether the answer
    # came within the SLA policy's target (None: no policy or no target for it).
    business_seconds = models.PositiveIntegerField(null=True, blank=True)
    within_sla = models.BooleanField(null=True, blank=True)
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "departments.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["answered_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.seconds}s"


class SentimentLabel(models.Model):
    """A person's correction of a conversation's sentiment: who, when, old → new, and
    what the scorer said (the pairs listening.inbox.sentiment.macro_f1 compares)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="sentiment_labels"
    )
    scored = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    old = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    new = models.CharField(max_length=10, choices=Sentiment.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.old or '—'} → {self.new}"
