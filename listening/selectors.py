"""Read queries for X accounts, sources, their runs and the posts they read: the one place
that says who may see what. Pages, the API, exports and search all read through here.

A private list is seen by its owner only — nobody else, organisation admins included —
and so are the posts read only through it. Everything else is open to every signed-in
member of the organisation. A post is visible when at least one source the user may see
has read it (SourceTweet) — except an open source on an X list someone else follows
privately: the services refuse to create one, and one that exists all the same (made in
the Django admin, or before that rule) never makes the private list's posts visible."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from listening import billing
from listening.models import (
    AccountSpend,
    DirectMessage,
    Source,
    SourceRun,
    SourceTweet,
    Tweet,
    XAccount,
    XUser,
)
from socialops.models import User

# --- Accounts -------------------------------------------------------------------------


def account_list(*, user: User) -> QuerySet[XAccount]:
    """Every X account the organisation operates is visible to every signed-in member
    (tokens never leave the model: pages and the API show health, not secrets)."""
    if not user.is_authenticated:
        return XAccount.objects.none()
    return XAccount.objects.select_related("connected_by")


@dataclass(frozen=True)
class AccountHealth:
    state: str  # "ok", "rate_limited", "needs_reconnection"
    label: str
    until: datetime | None = None
    token_warning: str = ""


def account_health(*, account: XAccount, now: datetime | None = None) -> AccountHealth:
    """How an account stands now. A rate limit whose reset has passed is over, even if no
    run has told the account so yet."""
    now = now or timezone.now()
    warning = ""
    if account.token_expires_soon:
        warning = (
            "The token expires soon; it is renewed at the next run."
            if account.refresh_token
            else "The token expires soon and cannot be renewed: reconnect the account."
        )
    if account.status == XAccount.Status.NEEDS_RECONNECTION:
        return AccountHealth("needs_reconnection", "Needs reconnection", token_warning=warning)
    if (
        account.status == XAccount.Status.RATE_LIMITED
        and account.rate_limited_until
        and account.rate_limited_until > now
    ):
        return AccountHealth(
            "rate_limited", "Rate-limited", until=account.rate_limited_until, token_warning=warning
        )
    return AccountHealth("ok", "OK", token_warning=warning)


@dataclass(frozen=True)
class Budget:
    """An account's X spend this month (UTC) against its monthly budget."""

    budget: Decimal | None
    spent: Decimal
    pause: bool
    month: date
    resumes_on: date  # the next month's first day

    @property
    def share(self) -> Decimal | None:
        """Spent as a share of the budget (0.8 is 80 %)."""
        return None if not self.budget else self.spent / self.budget

    @property
    def percent(self) -> int | None:
        return None if self.share is None else int(self.share * 100)

    @property
    def state(self) -> str:
        """ "none" (no budget), "ok", "warning" (80 % or more), "over" (100 % or more,
        still reading) or "paused" (100 % or more: its sources stop pulling)."""
        if self.share is None:
            return "none"
        if self.share >= 1:
            return "paused" if self.pause else "over"
        return "warning" if self.share >= BUDGET_WARNING else "ok"

    @property
    def notice(self) -> bool:
        """80 % or more: pages say so."""
        return self.state in {"warning", "over", "paused"}


BUDGET_WARNING = Decimal("0.8")


def account_budgets(
    *, accounts: Iterable[XAccount], now: datetime | None = None
) -> dict[int, Budget]:
    """Each account's budget and spend this month, in one query."""
    month = billing.billing_month(now or timezone.now())
    accounts = list(accounts)
    spent = dict(
        AccountSpend.objects.filter(account__in=[a.pk for a in accounts], month=month).values_list(
            "account_id", "cost"
        )
    )
    return {
        a.pk: Budget(
            budget=a.monthly_budget,
            spent=Decimal(spent.get(a.pk) or 0),
            pause=a.budget_pause,
            month=month,
            resumes_on=billing.next_month(month),
        )
        for a in accounts
    }


def account_budget(*, account: XAccount, now: datetime | None = None) -> Budget:
    return account_budgets(accounts=[account], now=now)[account.pk]


def account_list_paused(*, now: datetime | None = None) -> QuerySet[XAccount]:
    """Accounts whose sources stop pulling: they pause at their budget, and this
    month's spend has reached it (not narrowed to a user: for the scheduler)."""
    month = billing.billing_month(now or timezone.now())
    return XAccount.objects.filter(budget_pause=True, monthly_budget__isnull=False).filter(
        Exists(
            AccountSpend.objects.filter(
                account=OuterRef("pk"), month=month, cost__gte=OuterRef("monthly_budget")
            )
        )
    )


# --- Sources --------------------------------------------------------------------------


def _visible_sources(user: User) -> QuerySet[Source]:
    if not user.is_authenticated:
        return Source.objects.none()
    return Source.objects.filter(Q(is_private=False) | Q(owner=user))


def _x_lists_private_to_others(user: User) -> QuerySet[Source]:
    """The ids of the X lists that someone other than the user follows privately."""
    return (
        Source.objects.filter(is_private=True, kind=Source.Kind.LIST, x_list_id__isnull=False)
        .exclude(owner=user)
        .values("x_list_id")
    )


def _reading_sources(user: User) -> QuerySet[Source]:
    """The sources whose reads make a post visible to the user: the visible ones but
    open lists on an X list someone else follows privately."""
    if not user.is_authenticated:
        return Source.objects.none()
    return _visible_sources(user).exclude(
        is_private=False, kind=Source.Kind.LIST, x_list_id__in=_x_lists_private_to_others(user)
    )


def source_list(*, user: User) -> QuerySet[Source]:
    """Sources the user may see: every source but other people's private lists."""
    return _visible_sources(user).select_related("account", "department", "owner")


def source_list_reading(*, user: User) -> QuerySet[Source]:
    """The visible sources whose reads show a post to the user (for filters by source)."""
    return _reading_sources(user)


def x_list_ids_private_to_others(*, user: User) -> set[int]:
    """X lists not to offer the user (neither their ids nor their names): someone else
    follows them privately."""
    if not user.is_authenticated:
        return set()
    return set(_x_lists_private_to_others(user).values_list("x_list_id", flat=True))


def source_list_with_usage(*, user: User, now: datetime | None = None) -> QuerySet[Source]:
    """Visible sources with what they read and cost today and over the last 7 days
    (today included), from their runs, in the organisation's time zone; `runs_today` and
    `runs_week` count the runs behind each figure (none: there is no figure yet)."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=6)
    return source_list(user=user).annotate(
        posts_today=Sum("runs__posts_read", filter=Q(runs__started_at__gte=today), default=0),
        cost_today=Sum("runs__cost", filter=Q(runs__started_at__gte=today), default=0),
        posts_week=Sum("runs__posts_read", filter=Q(runs__started_at__gte=week), default=0),
        cost_week=Sum("runs__cost", filter=Q(runs__started_at__gte=week), default=0),
        runs_today=Count("runs", filter=Q(runs__started_at__gte=today)),
        runs_week=Count("runs", filter=Q(runs__started_at__gte=week)),
    )


def source_list_due(*, now: datetime | None = None) -> QuerySet[Source]:
    """Enabled sources whose next run is due, that no live run holds, and whose account
    can still read and is not paused at its budget (for `manage.py x_sync`; not narrowed
    to a user)."""
    now = now or timezone.now()
    return (
        Source.objects.filter(enabled=True, next_run_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(account__status=XAccount.Status.NEEDS_RECONNECTION)
        .exclude(account__in=account_list_paused(now=now))
        .select_related("account")
        .order_by("next_run_at", "pk")
    )


def run_list(*, user: User, source: Source) -> QuerySet[SourceRun]:
    """A source's runs, newest first, for whoever may see the source."""
    return SourceRun.objects.filter(source__in=_visible_sources(user), source=source)


# --- Posts ----------------------------------------------------------------------------


def tweet_list(*, user: User, source: Source | None = None) -> QuerySet[Tweet]:
    """Posts that at least one source visible to the user has read, newest first (X ids
    grow with time). With `source`, that source's stream (empty if the user may not see
    it, or if its reads do not count for the user: see _reading_sources)."""
    if source is not None:
        if not _reading_sources(user).filter(pk=source.pk).exists():
            return Tweet.objects.none()
        # The (source, -tweet) index serves this join; a source reads a post once.
        qs = Tweet.objects.filter(source_tweets__source=source)
    else:
        qs = Tweet.objects.filter(
            Exists(
                SourceTweet.objects.filter(
                    tweet=OuterRef("pk"), source__in=_reading_sources(user).values("pk")
                )
            )
        )
    return qs.select_related("author", "inbox_item__department").order_by("-id")


def visible_reads_prefetch(*, user: User) -> Prefetch:
    """Each post's reads by sources the user may see, as `post.visible_reads`."""
    return Prefetch(
        "source_tweets",
        queryset=SourceTweet.objects.filter(source__in=_reading_sources(user).values("pk"))
        .select_related("source")
        .order_by("source__name"),
        to_attr="visible_reads",
    )


def tweet_get(*, user: User, tweet_id: int) -> Tweet | None:
    """One post, if the user may see it, with the visible sources that read it."""
    return (
        tweet_list(user=user)
        .prefetch_related(visible_reads_prefetch(user=user))
        .filter(pk=tweet_id)
        .first()
    )


def xuser_list(*, user: User) -> QuerySet[XUser]:
    """X users the user may know we read: authors of a post they may see, and our own
    accounts. The authors a rep's private list alone read are who the rep is prospecting,
    so they are the rep's too."""
    if not user.is_authenticated:
        return XUser.objects.none()
    return XUser.objects.filter(
        Exists(tweet_list(user=user).filter(author=OuterRef("pk")))
        | Q(pk__in=XAccount.objects.filter(x_user_id__isnull=False).values("x_user_id"))
    )


def conversation_list(*, user: User, tweet: Tweet) -> QuerySet[Tweet]:
    """The stored posts of the post's conversation the user may see, oldest first."""
    if tweet.conversation_id is None:
        return Tweet.objects.none()
    return (
        tweet_list(user=user)
        .filter(Q(conversation_id=tweet.conversation_id) | Q(pk=tweet.conversation_id))
        .order_by("created_at", "id")
    )


# --- Direct messages --------------------------------------------------------------------


def direct_message_list(*, user: User) -> QuerySet[DirectMessage]:
    """The raw DMs a user may read: organisation admins only. DMs are private: no page or
    API of posts shows them; the inbox shows a DM conversation to the department it is
    routed to (its own selector, on top of this rule) and to admins."""
    if not (user.is_authenticated and user.is_org_admin):
        return DirectMessage.objects.none()
    return DirectMessage.objects.select_related("sender", "account").order_by("-id")
