"""X accounts we operate, the X users and posts we read, the direct messages our accounts
send and receive, the sources we pull them from, and the mention inbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socialops.changes import change_field
from socialops.fields import EncryptedTextField


class XAccount(models.Model):
    """An X account the organisation operates, and how we are allowed to read it."""

    class Auth(models.TextChoices):
        USER = "user", "Connected (OAuth 2.0)"
        APP = "app", "Read-only (app bearer token)"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        RATE_LIMITED = "rate_limited", "Rate-limited"
        NEEDS_RECONNECTION = "needs_reconnection", "Needs reconnection"

    username = models.CharField(max_length=15, unique=True, help_text="Without the @.")
    x_user_id = models.BigIntegerField(null=True, blank=True, unique=True)
    name = models.CharField(max_length=100, blank=True)
    auth = models.CharField(max_length=10, choices=Auth.choices, default=Auth.USER)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OK)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # What X may bill for reading through this account in a calendar month (UTC), in
    # US$ as X bills. A warning at 80 %; with budget_pause, its sources stop pulling at
    # 100 % until the next month or until the budget is raised.
    monthly_budget = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="US$ a month that X may bill for reads through this account.",
    )
    budget_pause = models.BooleanField(
        default=False, help_text="Stop its sources when the month's spend reaches the budget."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["username"]
        verbose_name = "X account"

    def __str__(self) -> str:
        return f"@{self.username}"

    def get_absolute_url(self) -> str:
        return reverse("listening:account", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.budget_pause and self.monthly_budget is None:
            raise ValidationError({"budget_pause": "Set a monthly budget to pause at."})

    @property
    def token_expires_soon(self) -> bool:
        return bool(
            self.auth == self.Auth.USER
            and self.token_expires_at
            and self.token_expires_at < timezone.now() + timedelta(minutes=10)
        )


class XUser(models.Model):
    """A user of X as we last read them. The primary key is X's own id."""

    id = models.BigIntegerField(primary_key=True)
    username = models.CharField(max_length=50, db_index=True)
    name = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    profile_image_url = models.URLField(max_length=500, blank=True)
    verified = models.BooleanField(default=False)
    protected = models.BooleanField(default=False)
    followers_count = models.IntegerField(null=True, blank=True)
    following_count = models.IntegerField(null=True, blank=True)
    tweet_count = models.IntegerField(null=True, blank=True)
    listed_count = models.IntegerField(null=True, blank=True)
    x_created_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, help_text="The user object exactly as X sent it.")
    fetched_at = models.DateTimeField(help_text="When X last sent something new about them.")

    class Meta:
        ordering = ["username"]
        verbose_name = "X user"

    def __str__(self) -> str:
        return f"@{self.username}"


class Tweet(models.Model):
    """A post on X as we last read it. The primary key is X's own id; metrics are
    updated whenever we read the post again."""

    id = models.BigIntegerField(primary_key=True)
    author = models.ForeignKey(
        XUser, on_delete=models.DO_NOTHING, db_constraint=False, related_name="tweets"
    )
    text = models.TextField()
    created_at = models.DateTimeField(null=True, blank=True, db_index=True)
    conversation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    in_reply_to_user_id = models.BigIntegerField(null=True, blank=True)
    in_reply_to_tweet_id = models.BigIntegerField(null=True, blank=True)
    lang = models.CharField(max_length=10, blank=True)
    is_retweet = models.BooleanField(default=False)
    like_count = models.IntegerField(null=True, blank=True)
    retweet_count = models.IntegerField(null=True, blank=True)
    reply_count = models.IntegerField(null=True, blank=True)
    quote_count = models.IntegerField(null=True, blank=True)
    impression_count = models.IntegerField(null=True, blank=True)
    bookmark_count = models.IntegerField(null=True, blank=True)
    # non_public_metrics / organic_metrics: only for our own posts, with user auth.
    url_link_clicks = models.IntegerField(null=True, blank=True)
    user_profile_clicks = models.IntegerField(null=True, blank=True)
    engagements = models.IntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict, help_text="The post object exactly as X sent it.")
    first_seen_at = models.DateTimeField()
    updated_at = models.DateTimeField(help_text="When X last sent something new about it.")

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("listening:tweet", kwargs={"pk": self.pk})

    @property
    def x_url(self) -> str:
        return f"https://x.com/i/web/status/{self.pk}"


class Source(models.Model):
    """Something we pull from X on a schedule, with its cursor."""

    class Kind(models.TextChoices):
        MENTIONS = "mentions", "Mentions of an account"
        LIST = "list", "An X list"
        SEARCH = "search", "Keyword / brand search"
        OWN_POSTS = "own_posts", "Our own posts, with metrics"
        FOLLOWERS = "followers", "Daily follower count"
        DMS = "dms", "Direct messages of an account"

    class Result(models.TextChoices):
        NEVER = "", "Not run yet"
        OK = "ok", "OK"
        RATE_LIMITED = "rate_limited", "Rate-limited"
        AUTH = "auth", "Needs reconnection"
        ERROR = "error", "Error"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="sources")
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text="Where its mentions are routed.",
    )
    query = models.CharField(max_length=512, blank=True, help_text="For searches: X's query.")
    x_list_id = models.BigIntegerField(null=True, blank=True, help_text="For lists.")
    is_private = models.BooleanField(
        default=False, help_text="A private list: only its owner sees it and its posts."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="owned_sources",
        help_text="Who added it; for a private list, the only person who sees it.",
    )
    interval = models.DurationField(default=timedelta(minutes=5))
    enabled = models.BooleanField(default=True)
    # The cursor. X's rule: keep the same since_id while following next_token; the next
    # since_id is the first page's newest_id. `page_token` and `pending_since_id` hold a
    # run that stopped half-way, so the next run resumes it instead of starting over.
    since_id = models.BigIntegerField(null=True, blank=True)
    pending_since_id = models.BigIntegerField(null=True, blank=True)
    page_token = models.CharField(max_length=200, blank=True)
    # Mentions reach back 800 posts only. When a run reads that many, older mentions may
    # lie between since_id and the oldest one read: the run fills that gap through recent
    # search (ids below gap_until_id) before it moves since_id.
    gap_until_id = models.BigIntegerField(null=True, blank=True)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Only one run at a time: a run holds a lease it renews page by page.
    lease_token = models.CharField(max_length=36, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=20, choices=Result.choices, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="search") | ~Q(query=""),
                name="source_search_has_query",
                violation_error_message="A search needs a query.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="list") | Q(x_list_id__isnull=False),
                name="source_list_has_list_id",
                violation_error_message="A list source needs the list's id.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("listening:source", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.kind == self.Kind.SEARCH and not self.query.strip():
            raise ValidationError({"query": "A search needs a query, e.g. brightline -is:retweet."})
        if self.kind == self.Kind.LIST and not self.x_list_id:
            raise ValidationError({"x_list_id": "Pick the X list to follow."})
        if self.is_private and self.kind != self.Kind.LIST:
            raise ValidationError({"is_private": "Only lists can be private."})
        if self.is_private and self.owner_id is None:
            raise ValidationError({"owner": "A private list belongs to someone."})
        if (
            self.kind == self.Kind.DMS
            and self.account_id
            and self.account.auth == XAccount.Auth.APP
        ):
            raise ValidationError(
                {"account": "Reading DMs takes an account connected through X (OAuth 2.0)."}
            )
        if self.interval is not None and self.interval < timedelta(seconds=15):
            raise ValidationError({"interval": "Pull at most every 15 seconds."})


class DirectMessage(models.Model):
    """A direct message one of our accounts sent or received, as X sent it. The primary
    key is X's event id. Private: never shown with posts; only the inbox shows DMs, to
    the department a conversation is routed to and to admins."""

    class Direction(models.TextChoices):
        IN = "in", "Received"
        OUT = "out", "Sent"

    id = models.BigIntegerField(primary_key=True)
    dm_conversation_id = models.CharField(max_length=64, db_index=True)
    account = models.ForeignKey(
        XAccount,
        on_delete=models.CASCADE,
        related_name="direct_messages",
        help_text="Our account that sent or received it (the first one to read it).",
    )
    # Like Tweet.author: a user row exists once X sent the sender (expansions).
    sender = models.ForeignKey(
        XUser, on_delete=models.DO_NOTHING, db_constraint=False, related_name="direct_messages"
    )
    recipient_id = models.BigIntegerField(
        null=True, blank=True, help_text="The other party of a one-to-one conversation."
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    raw = models.JSONField(default=dict, help_text="The DM event exactly as X sent it.")
    first_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = "direct message"
        indexes = [models.Index(fields=["account", "-id"], name="dm_account_newest")]

    def __str__(self) -> str:
        return f"DM {self.pk}"


class SourceTweet(models.Model):
    """Which source read which post: the stream of a source, and the key to who may see
    a post (a post read only through a private list is private)."""

    # The unique (source, tweet) index serves "a source's stream, newest first" too
    # (read backwards), so the source column needs no index of its own.
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="source_tweets", db_index=False
    )
    tweet = models.ForeignKey(
        Tweet, on_delete=models.CASCADE, db_constraint=False, related_name="source_tweets"
    )
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "tweet"], name="source_tweet_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.tweet_id}"


class SourceRun(models.Model):
    """One run of a source: what it read, what it stored and what that cost."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        RATE_LIMITED = "rate_limited", "Rate-limited"
        AUTH = "auth", "Needs reconnection"
        ERROR = "error", "Error"
        INTERRUPTED = "interrupted", "Interrupted"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    pages = models.IntegerField(default=0)
    posts_read = models.IntegerField(default=0)
    users_read = models.IntegerField(default=0)
    posts_new = models.IntegerField(default=0)
    # What X billed for this run: a post or user already billed to the account today
    # (by any of its sources) is not billed again.
    posts_billed = models.IntegerField(default=0)
    users_billed = models.IntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.source} @ {self.started_at:%Y-%m-%d %H:%M}"


class BilledRead(models.Model):
    """A post or user that X billed an account for on a UTC day. X charges a resource
    once a day however often it is read, so a read is billed only when its row is new
    (an INSERT … ON CONFLICT DO NOTHING that counts the rows it inserted: correct across
    sources and runs of the account running at once). Past days' rows are deleted as
    the account's next run starts.

    X tracks the dedupe per app; it is kept per account here so that each account's
    spend is its own (two accounts of one app reading the same post on the same day
    count it twice: an upper bound)."""

    class Kind(models.TextChoices):
        POST = "post", "Post"
        USER = "user", "User"

    pk = models.CompositePrimaryKey("account_id", "day", "kind", "x_id")
    # The primary key's index leads with the account: no index of its own.
    account = models.ForeignKey(
        XAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    kind = models.CharField(max_length=4, choices=Kind.choices)
    x_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.kind} {self.x_id} on {self.day}"


class AccountSpend(models.Model):
    """What X billed for reads through an account in a calendar month (UTC), added to
    in the same transaction as the pages it pays for. Kept when sources and their runs
    are deleted: money spent stays spent."""

    pk = models.CompositePrimaryKey("account_id", "month")
    account = models.ForeignKey(
        XAccount, on_delete=models.CASCADE, related_name="spends", db_index=False
    )
    month = models.DateField(help_text="The month's first day.")
    cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    posts_billed = models.IntegerField(default=0)
    users_billed = models.IntegerField(default=0)

    class Meta:
        ordering = ["account", "-month"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}: US${self.cost}"


class FollowerCount(models.Model):
    """An account's followers on a day (the last reading of the day wins)."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="follower_counts")
    day = models.DateField()
    followers = models.IntegerField()

    class Meta:
        ordering = ["account", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="follower_count_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.followers} on {self.day}"


class InboxItem(models.Model):
    """A mention waiting for the organisation's answer, routed to a department."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ASSIGNED = "assigned", "Assigned"
        REPLIED = "replied", "Replied"
        CLOSED = "closed", "Closed"

    tweet = models.OneToOneField(
        Tweet, on_delete=models.CASCADE, db_constraint=False, related_name="inbox_item"
    )
    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="inbox_items")
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbox_items",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbox_items",
    )
    received_at = models.DateTimeField(db_index=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.tweet_id}"


# The inbox's models live in their concept folder; imported here so Django registers them
# with the listening app.
from listening.inbox.models import (  # noqa: E402, F401
    Agent,
    Conversation,
    DepartmentInbox,
    Event,
    InboxSettings,
    Message,
    Note,
    Reply,
    ResponseTime,
    RoutingRule,
    SavedReply,
    SentimentLabel,
    Tag,
)
from listening.inbox.sla.models import SlaPolicy  # noqa: E402, F401
