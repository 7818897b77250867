"""Reads for campaigns, their results and the UTM naming registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns import permissions as perms
from campaigns.links.selectors import XLinkReport, clicks_per_day, x_link_reports
from campaigns.models import Campaign, Click, Conversion, ScheduledPost, TimeEntry, UtmTag
from departments.selectors import organisation_get
from socialops.models import User

CENT = Decimal("0.01")


def campaigns_visible_to(*, user: User) -> QuerySet[Campaign]:
    """Campaigns with their department, goals and counted (non-bot) clicks. Open to every
    signed-in member, like goals."""
    if not perms.can_read_campaigns(user):
        return Campaign.objects.none()
    clicks = (
        Click.objects.filter(link__campaign=OuterRef("pk"), is_bot=False)
        .order_by()
        .values("link__campaign")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Campaign.objects.select_related("department", "created_by")
        .prefetch_related("goals")
        .annotate(click_count=Coalesce(Subquery(clicks, output_field=IntegerField()), 0))
    )


def campaign_choices(*, user: User) -> QuerySet[Campaign]:
    """The campaigns a form, a filter or an API field may name: every campaign, for every
    signed-in member (like campaigns_visible_to, without its counts and prefetches)."""
    if not perms.can_read_campaigns(user):
        return Campaign.objects.none()
    return Campaign.objects.select_related("department").order_by("-period_start", "name")


def utm_tags_visible_to(*, user: User) -> QuerySet[UtmTag]:
    """The registry is organisation-wide and readable by every signed-in member."""
    if not (user.is_authenticated and user.is_active):
        return UtmTag.objects.none()
    return UtmTag.objects.select_related("created_by")


def utm_choices(*, parameter: str, keep: str = "") -> list[tuple[str, str]]:
    """(value, label) of the active values for a form's select; `keep` is a value the
    object already has, offered even if it was retired since (so an edit can keep it)."""
    tags = list(
        UtmTag.objects.filter(parameter=parameter)
        .filter(Q(is_active=True) | Q(value=keep))
        .values_list("value", "description", "is_active")
    )
    choices = [
        (value, f"{value} — {description}" if description else value)
        for value, description, _active in tags
    ]
    for i, (value, _description, active) in enumerate(tags):
        if not active:
            choices[i] = (value, f"{value} (retired)")
    if keep and keep not in {value for value, _ in choices}:
        choices.append((keep, f"{keep} (not in the registry)"))
    return choices


@dataclass(frozen=True)
class CampaignStats:
    """A campaign's results and costs, in the organisation's currency.

    Revenue adds the conversions attributed to the campaign in that currency; the ones
    in other currencies are counted apart (never converted at a guessed rate). Unique
    visitors are counted per day: the visitor key changes daily so no one is tracked."""

    posts_planned: int
    posts_scheduled: int
    posts_published: int
    posts_failed: int
    links: int
    clicks: int
    bot_clicks: int
    unique_visitors: int
    conversions: int
    new_customers: int
    revenue: Decimal
    other_currency_conversions: int
    currency: str
    budget: Decimal
    spend: Decimal
    time_minutes: int
    hourly_staff_cost: Decimal
    time_cost: Decimal

    @property
    def time_hours(self) -> Decimal:
        return (Decimal(self.time_minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def cost(self) -> Decimal:
        return self.spend + self.time_cost

    @property
    def roi(self) -> Decimal | None:
        """(revenue − spend − time cost) / (spend + time cost); None when nothing was
        spent (no cost, no ratio)."""
        if self.cost <= 0:
            return None
        return ((self.revenue - self.cost) / self.cost).quantize(Decimal("0.0001"))

    @property
    def roi_percent(self) -> Decimal | None:
        roi = self.roi
        return None if roi is None else (roi * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def budget_used_percent(self) -> int | None:
        if self.budget <= 0:
            return None
        return int((self.spend * 100 / self.budget).to_integral_value(ROUND_HALF_UP))

    @property
    def over_budget(self) -> bool:
        return self.spend > self.budget

    @property
    def conversion_rate_percent(self) -> Decimal | None:
        if not self.clicks:
            return None
        return (Decimal(self.conversions) * 100 / self.clicks).quantize(Decimal("0.1"))


SCHEDULED_STATES = {ScheduledPost.Status.SCHEDULED, ScheduledPost.Status.PUBLISHING}
PLANNED_STATES = {
    ScheduledPost.Status.DRAFT,
    ScheduledPost.Status.IN_REVIEW,
    ScheduledPost.Status.APPROVED,
    ScheduledPost.Status.REJECTED,
}


def campaign_stats(*, campaign: Campaign) -> CampaignStats:
    """Every figure of the campaign page, in a handful of aggregate queries."""
    organisation = organisation_get()
    posts = dict(
        ScheduledPost.objects.filter(campaign=campaign)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    clicks = Click.objects.filter(link__campaign=campaign).aggregate(
        clicks=Count("id", filter=Q(is_bot=False)),
        bots=Count("id", filter=Q(is_bot=True)),
        visitors=Count("visitor_key", filter=Q(is_bot=False) & ~Q(visitor_key=""), distinct=True),
    )
    conversions = Conversion.objects.filter(campaign=campaign)
    own = conversions.filter(currency=organisation.currency).aggregate(
        n=Count("id"),
        new=Count("id", filter=Q(is_new_customer=True)),
        revenue=Sum("value"),
    )
    other = conversions.exclude(currency=organisation.currency).count()
    minutes = TimeEntry.objects.filter(campaign=campaign).aggregate(m=Sum("minutes"))["m"] or 0
    hourly = organisation.hourly_staff_cost
    return CampaignStats(
        posts_planned=sum(posts.get(s, 0) for s in PLANNED_STATES),
        posts_scheduled=sum(posts.get(s, 0) for s in SCHEDULED_STATES),
        posts_published=posts.get(ScheduledPost.Status.PUBLISHED, 0),
        posts_failed=posts.get(ScheduledPost.Status.FAILED, 0),
        links=campaign.links.count(),
        clicks=clicks["clicks"],
        bot_clicks=clicks["bots"],
        unique_visitors=clicks["visitors"],
        conversions=own["n"] + other,
        new_customers=own["new"],
        revenue=(own["revenue"] or Decimal("0")).quantize(CENT),
        other_currency_conversions=other,
        currency=organisation.currency,
        budget=campaign.budget,
        spend=campaign.spend,
        time_minutes=minutes,
        hourly_staff_cost=hourly,
        time_cost=(Decimal(minutes) * hourly / 60).quantize(CENT, ROUND_HALF_UP),
    )


def campaign_clicks_per_day(*, campaign: Campaign) -> list[tuple[date, int]]:
    """Real clicks per day over the campaign's period so far (and any day clicked)."""
    today = timezone.localdate()
    end = min(campaign.period_end, today) if campaign.period_start <= today else None
    return clicks_per_day(
        clicks=Click.objects.filter(link__campaign=campaign),
        start=campaign.period_start if end else None,
        end=end,
    )


def campaign_x_reports(*, campaign: Campaign) -> list[XLinkReport]:
    """X's url_link_clicks beside our clicks, per published post of the campaign."""
    return x_link_reports(links=campaign.links.all())


def campaign_posts(*, campaign: Campaign) -> QuerySet[ScheduledPost]:
    return ScheduledPost.objects.filter(campaign=campaign).select_related("account", "owner")
