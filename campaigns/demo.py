"""The demo organisation's campaign work: two running campaigns with their calendar
(published, scheduled, in review, a draft and a rejected post), a recurring slot,
tracked links with a fortnight of clicks, an offer with redemptions and a few weeks of
time entries. Everything goes through the services, as a person would do it; the demo's
clicks keep arriving afterwards through the real /l/ endpoint (`manage.py demo_clicks`).

Posts are published by the real path: the first ones fall due a minute after start, and
the worker sends them to the simulator."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.calendar import services as post_services
from campaigns.calendar.selectors import organisation_zone
from campaigns.links import services as link_services
from campaigns.models import ApprovalRule, Campaign, ScheduledPost
from campaigns.offers import services as offer_services
from campaigns.timelog import services as time_services
from departments.models import Department, Goal
from listening.models import XAccount
from socialops.models import User

SHOP = "https://brightline.example"


def demo_campaigns_loaded() -> bool:
    return Campaign.objects.exists()


def demo_campaigns_load(*, account: XAccount, now: datetime | None = None) -> None:
    """Call once, after the demo organisation and its X account exist. Dates and times
    are the organisation's (its zone, whoever runs this)."""
    with timezone.override(organisation_zone()), transaction.atomic():
        _load(account=account, now=now or timezone.now())


def _load(*, account: XAccount, now: datetime) -> None:
    today = timezone.localdate(now)
    rng = random.Random(4)
    users = {u.username: u for u in User.objects.all()}
    departments = {d.kind: d for d in Department.objects.all()}
    marketing = departments[Department.Kind.MARKETING]
    service = departments[Department.Kind.CUSTOMER_SERVICE]
    legal = departments[Department.Kind.LEGAL]
    maria, mark, laura, carla = users["maria"], users["mark"], users["laura"], users["carla"]

    campaign_services.utm_tags_ensure_defaults(actor=None)
    _approval_rules(marketing=marketing, legal=legal)

    launch = campaign_services.campaign_create(
        actor=maria,
        department=marketing,
        name="Dashboards 3.0 launch",
        objective=Goal.Objective.SALES,
        period_start=today - timedelta(days=14),
        period_end=today + timedelta(days=30),
        goals=Goal.objects.filter(department=marketing, status=Goal.Status.ACTIVE)[:2],
        description="Launch the new dashboards to existing customers and trial sign-ups.",
        status=Campaign.Status.RUNNING,
        budget=Decimal("4000"),
        spend=Decimal("1250"),
    )
    tips = campaign_services.campaign_create(
        actor=carla,
        department=service,
        name="Tips Tuesday",
        objective=Goal.Objective.LOYALTY,
        period_start=today - timedelta(days=28),
        period_end=today + timedelta(days=60),
        description="A weekly tip that answers the question customers ask most that week.",
        status=Campaign.Status.RUNNING,
        budget=Decimal("0"),
    )
    links = [
        link_services.link_create_tagged(
            actor=maria, destination=f"{SHOP}/dashboards", campaign=launch, utm_content="post"
        ),
        link_services.link_create_tagged(
            actor=maria, destination=f"{SHOP}/pricing", campaign=launch, utm_content="bio"
        ),
        link_services.link_create_tagged(
            actor=carla, destination=f"{SHOP}/help/exports", campaign=tips
        ),
    ]
    offer = offer_services.offer_create(
        actor=maria,
        campaign=launch,
        code="DASH3",
        description="20% off the first year of the Dashboards add-on",
        valid_from=today - timedelta(days=14),
        valid_until=today + timedelta(days=30),
        value_kind="percent",
        value=Decimal("20"),
    )
    _calendar(
        account=account,
        now=now,
        marketing=marketing,
        service=service,
        legal=legal,
        launch=launch,
        tips=tips,
        offer=offer,
        users=users,
    )
    click_ids = _click_history(links=links, now=now, rng=rng)
    _redemptions(actor=users["sam"], offer=offer, click_ids=click_ids, now=now, rng=rng)
    _time_entries(
        users=[maria, mark, carla, users["chris"], laura],
        campaigns={"Marketing": launch, "Customer Service": tips},
        today=today,
        rng=rng,
    )


def _approval_rules(*, marketing: Department, legal: Department) -> None:
    # Marketing's own lead approves every post; Legal also approves posts with an offer.
    ApprovalRule.objects.create(department=marketing, approver_department=marketing)
    ApprovalRule.objects.create(
        department=marketing, approver_department=legal, only_with_offer=True
    )


def _at(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate(now) + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _calendar(*, account, now, marketing, service, legal, launch, tips, offer, users) -> None:
    maria, mark, laura = users["maria"], users["mark"], users["laura"]
    carla, chris = users["carla"], users["chris"]
    create = post_services.post_create

    def approved(post: ScheduledPost, *approvers: tuple[User, Department]) -> None:
        post_services.post_submit(actor=post.owner, post=post)
        for approver, department in approvers:
            post_services.post_approve(actor=approver, post=post, department=department)

    # Due a minute or two after start: the worker publishes them to the simulator.
    soon = [
        (1, "Dashboards 3.0 is here: every KPI on one screen, refreshed live. "
            f"See it: {SHOP}/dashboards"),
        (2, f"What's new in 3.0, in two minutes: {SHOP}/dashboards/whats-new"),
    ]  # fmt: skip
    for minutes, text in soon:
        post = create(
            actor=mark,
            account=account,
            department=marketing,
            category="product_news",
            text=text,
            campaign=launch,
            scheduled_at=now + timedelta(minutes=minutes),
        )
        approved(post, (maria, marketing))
    # A thread later this week, and an offer that needed Legal as well.
    thread = create(
        actor=mark,
        account=account,
        department=marketing,
        category="customer_story",
        kind=ScheduledPost.Kind.THREAD,
        text="How Northwind cut their weekly reporting from a day to ten minutes 🧵",
        parts=[
            "1/ They had six spreadsheets and one very tired analyst.",
            f"2/ Now every team opens the same dashboard: {SHOP}/customers/northwind",
        ],
        campaign=launch,
        scheduled_at=_at(now, 2, 10),
    )
    approved(thread, (maria, marketing))
    offer_post = create(
        actor=mark,
        account=account,
        department=marketing,
        category="offer",
        text=f"Upgrade to Dashboards 3.0 with code DASH3: 20% off the first year. {SHOP}/pricing",
        campaign=launch,
        offer=offer,
        scheduled_at=_at(now, 3, 12),
    )
    approved(offer_post, (maria, marketing), (laura, legal))
    in_review = create(
        actor=mark,
        account=account,
        department=marketing,
        category="event",
        text="Join our live demo of Dashboards 3.0 next Thursday at 17:00 CET.",
        campaign=launch,
        scheduled_at=_at(now, 5, 16),
    )
    post_services.post_submit(actor=mark, post=in_review)
    rejected = create(
        actor=mark,
        account=account,
        department=marketing,
        category="product_news",
        text="The fastest dashboards on the market, guaranteed!",
        campaign=launch,
        scheduled_at=_at(now, 6, 9),
    )
    post_services.post_submit(actor=mark, post=rejected)
    post_services.post_reject(
        actor=maria,
        post=rejected,
        reason="We can't prove 'fastest' or 'guaranteed': say what it does instead.",
    )
    create(
        actor=mark,
        account=account,
        department=marketing,
        category="culture",
        text="Meet the team behind the dashboards (draft: photos to come).",
        notes="Waiting for the photos from the offsite.",
    )
    # Customer Service's weekly tip: a recurring slot, this week's filled and approved.
    slot = post_services.recurring_slot_create(
        actor=carla,
        department=service,
        title="Tips Tuesday",
        category="tips",
        weekday=1,
        time=time(10, 0),
        starts_on=timezone.localdate(now) - timedelta(days=28),
        account=account,
    )
    tuesday = timezone.localdate(now) + timedelta(
        days=(1 - timezone.localdate(now).weekday()) % 7 or 7
    )
    tip = create(
        actor=chris,
        account=account,
        department=service,
        category="tips",
        text=f"Tip: export any dashboard to CSV from the ⋯ menu. How: {SHOP}/help/exports",
        campaign=tips,
        slot=slot,
        scheduled_at=timezone.make_aware(datetime.combine(tuesday, time(10, 0))),
    )
    approved(tip, (carla, service))


def _click_history(*, links, now: datetime, rng: random.Random) -> list[str]:
    """A fortnight of clicks, so charts have a history before the live ones arrive."""
    events = []
    for link in links:
        for days_ago in range(14, 0, -1):
            for _ in range(rng.randint(3, 25)):
                at = now - timedelta(days=days_ago, seconds=rng.randint(0, 86_000))
                bot = rng.random() < 0.05
                event = link_services.ClickEvent.new(
                    link_id=link.pk,
                    referrer=rng.choice(["https://t.co/", "https://x.com/", ""]),
                    user_agent="Twitterbot/1.0" if bot else "Mozilla/5.0 (demo)",
                    is_bot=bot,
                    visitor_key=f"demo-{rng.randint(1, 400)}",
                )
                events.append(link_services.ClickEvent(**{**event.__dict__, "at": at.timestamp()}))
    link_services.clicks_store(events=events)
    return [e.click_id for e in events if not e.is_bot]


def _redemptions(*, actor, offer, click_ids, now, rng) -> None:
    for n in range(14):
        from_click = n % 3 != 2
        offer_services.conversion_record(
            actor=actor,
            kind="redemption" if not from_click else "purchase",
            value=Decimal(rng.choice([290, 590, 1180])),
            currency=None,
            occurred_at=now - timedelta(days=rng.randint(1, 13), hours=rng.randint(0, 20)),
            is_new_customer=rng.random() < 0.4,
            click_id=rng.choice(click_ids) if from_click else "",
            coupon_code="" if from_click else offer.code,
            external_id=f"demo-order-{1000 + n}",
            channel="api",
        )


def _time_entries(*, users, campaigns, today: date, rng: random.Random) -> None:
    activities = ["planning", "writing", "replying", "listening", "reporting", "approving"]
    for user in users:
        membership = user.memberships.select_related("department").first()
        department = membership.department if membership else None
        campaign = campaigns.get(department.name) if department else None
        for days_ago in range(21, 0, -1):
            day = today - timedelta(days=days_ago)
            if day.weekday() >= 5:
                continue
            for _ in range(rng.randint(1, 3)):
                time_services.time_entry_create(
                    actor=user,
                    day=day,
                    minutes=rng.choice([15, 30, 45, 60, 90]),
                    activity=rng.choice(activities),
                    campaign=campaign if rng.random() < 0.5 else None,
                    department=department,
                )
