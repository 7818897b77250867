"""Whatever lands or changes raw rows that metrics count marks their days in the same
transaction (socialops.marks), so the pass over marked days (recompute_marked) keeps the
rollup equal to the raw rows: late rows, backdated rows and changed rows alike."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin import site as admin_site
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.demo import demo_campaigns_load
from campaigns.links import services as link_services
from campaigns.models import Campaign, Click, Conversion, TimeEntry, TrackedLink
from campaigns.offers import services as offer_services
from campaigns.timelog import services as time_services
from departments import services as department_services
from departments.demo import demo_load, demo_today
from departments.models import KPI
from listening.ingest import source_run
from listening.models import InboxItem, Source
from metrics.measure import Scope, metric_value
from metrics.models import Dim
from metrics.rollups import organisation_today, rebuild, recompute_marked, verify
from metrics.selectors import Rag, kpi_progress_many
from metrics.tasks import rollup_rebuild
from socialops import marks
from socialops.marks import Family, mark, mark_rows
from socialops.models import DirtyDay
from tests.factories import XAccountFactory
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def org(organisation):
    organisation.time_zone = "America/New_York"
    organisation.hourly_staff_cost = Decimal("60")
    organisation.currency = "USD"
    organisation.save()
    campaign_services.utm_tags_ensure_defaults(actor=None)
    return organisation


@pytest.fixture
def campaign(org, marketing, owner):
    today = organisation_today()
    return campaign_services.campaign_create(
        actor=owner,
        department=marketing,
        name="Winter sale",
        objective="sales",
        period_start=today - dt.timedelta(days=40),
        period_end=today + dt.timedelta(days=10),
    )


@pytest.fixture
def link(campaign, owner):
    return link_services.link_create(
        actor=owner, destination="https://shop.example.com/winter", campaign=campaign
    )


def marked(family: str) -> set[dt.date]:
    return set(DirtyDay.objects.filter(family=family).values_list("day", flat=True))


def utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZONE).date()


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def event(link: TrackedLink, at: dt.datetime, *, visitor: str = "v", bot: bool = False):
    fresh = link_services.ClickEvent.new(
        link_id=link.pk,
        referrer="https://t.co/",
        user_agent="Mozilla/5.0",
        is_bot=bot,
        visitor_key=visitor,
    )
    return link_services.ClickEvent(**{**fresh.__dict__, "at": at.timestamp()})


def record(actor, at: dt.datetime, *, value: str = "100", **fields) -> Conversion:
    return offer_services.conversion_record(
        actor=actor,
        kind=fields.pop("kind", "purchase"),
        value=Decimal(value),
        currency=fields.pop("currency", None),
        occurred_at=at,
        is_new_customer=False,
        channel="api",
        **fields,
    )


def rolled_up_equals_raw() -> None:
    """The pass over the marked days leaves nothing marked and the rollup equal to a
    computation from all raw rows."""
    recompute_marked()
    assert not DirtyDay.objects.exists()
    call_command("metrics_verify", "--quiet")


# --- Each writer marks its days -----------------------------------------------------------


def test_clicks_stored_mark_their_utc_days_and_count_on_the_organisations(link):
    late_evening = local(organisation_today() - dt.timedelta(days=3), 22, 30)  # next UTC day
    morning = local(organisation_today() - dt.timedelta(days=2), 9)
    link_services.clicks_store(
        events=[
            event(link, late_evening, visitor="a"),
            event(link, morning, visitor="b"),
            event(link, morning, visitor="bot", bot=True),
        ]
    )
    assert marked(Family.CLICKS) == {utc_day(late_evening), utc_day(morning)}

    recompute_marked()

    day = local_day(late_evening)
    assert day != utc_day(late_evening)
    start, end = local(day, 0), local(day + dt.timedelta(days=1), 0)
    raw = Click.objects.filter(is_bot=False, clicked_at__gte=start, clicked_at__lt=end)
    assert raw.count() == 1
    assert metric_value("link_clicks", first=day, last=day) == 1
    assert metric_value("link_clicks", scope=Scope(Dim.LINK, link.pk), first=day, last=day) == 1
    assert verify(day - dt.timedelta(days=2), day + dt.timedelta(days=2)) == []


def test_spooled_clicks_mark_the_days_of_the_rows_they_insert(link):
    """The spool's path (on PostgreSQL one INSERT … SELECT from JSON that also marks)."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    lines = [
        json.dumps(event(link, at, visitor=f"v{n}").__dict__).encode()
        for n, at in enumerate([yesterday, yesterday, timezone.now()])
    ]
    link_services.clicks_store_lines(lines=lines)
    assert Click.objects.count() == 3
    assert marked(Family.CLICKS) == {utc_day(yesterday), utc_day(timezone.now())}
    rolled_up_equals_raw()
    assert metric_value("link_clicks", first=local_day(yesterday), last=organisation_today()) == 3

    # The same lines shipped again (a journal replayed after a crash) insert nothing.
    link_services.clicks_store_lines(lines=lines)
    assert Click.objects.count() == 3
    if connection.vendor == "postgresql":
        # Only the rows really inserted are marked: nothing here.
        assert not DirtyDay.objects.exists()


def test_a_conversion_marks_the_day_it_occurred_and_its_late_attribution_too(link, owner):
    backdated = timezone.now() - dt.timedelta(days=12)  # long before the nightly week
    click_id = "ab" * 16  # still in the click buffer when the conversion arrives
    conversion = record(owner, backdated, click_id=click_id)
    assert conversion.attribution == Conversion.Attribution.NONE
    assert marked(Family.CONVERSIONS) == {utc_day(backdated)}
    rolled_up_equals_raw()
    scope = Scope(Dim.CAMPAIGN, link.campaign_id)
    day = local_day(backdated)
    assert metric_value("conversions", first=day, last=day) == 1
    assert metric_value("conversions", scope=scope, first=day, last=day) is None

    # The click arrives: the late attribution credits the campaign, on the same old day.
    link_services.clicks_store(
        events=[
            link_services.ClickEvent(
                **{**event(link, backdated).__dict__, "click_id": click_id},
            )
        ]
    )
    assert offer_services.conversions_attribute_pending() == 1
    assert utc_day(backdated) in marked(Family.CONVERSIONS)
    rolled_up_equals_raw()
    assert metric_value("conversions", scope=scope, first=day, last=day) == 1
    assert metric_value("revenue", scope=scope, first=day, last=day) == Decimal("100")


def test_a_repeated_conversion_marks_nothing(link, owner):
    at = timezone.now() - dt.timedelta(days=2)
    record(owner, at, external_id="order-1")
    DirtyDay.objects.all().delete()
    assert record(owner, at, external_id="order-1").was_created is False
    assert not DirtyDay.objects.exists()


def test_time_entries_mark_their_day_and_the_old_day_when_moved(org, owner, marketing):
    today = organisation_today()
    entry = time_services.time_entry_create(
        actor=owner,
        day=today - dt.timedelta(days=20),
        minutes=90,
        activity="writing",
        department=marketing,
    )
    assert marked(Family.TIME) == {today - dt.timedelta(days=20)}
    rolled_up_equals_raw()
    assert metric_value("hours_spent", first=entry.day, last=entry.day) == Decimal("1.5")

    time_services.time_entry_update(actor=owner, entry=entry, day=today - dt.timedelta(days=9))
    assert marked(Family.TIME) == {today - dt.timedelta(days=20), today - dt.timedelta(days=9)}
    rolled_up_equals_raw()
    old, new = today - dt.timedelta(days=20), today - dt.timedelta(days=9)
    assert metric_value("hours_spent", first=old, last=old) in (None, 0)
    assert metric_value("hours_spent", first=new, last=new) == Decimal("1.5")
    assert metric_value("staff_cost", first=new, last=new) == Decimal("90")

    time_services.time_entry_delete(actor=owner, entry=entry)
    assert marked(Family.TIME) == {new}
    rolled_up_equals_raw()
    assert metric_value("hours_spent", first=new, last=new) in (None, 0)


def test_campaign_spend_marks_its_period_and_the_old_one_when_it_moves(campaign, owner):
    assert not marked(Family.SPEND)  # no spend, nothing to spread
    campaign_services.campaign_update(actor=owner, campaign=campaign, spend=Decimal("510"))
    days = {campaign.period_start + dt.timedelta(days=n) for n in range(51)}
    assert marked(Family.SPEND) == days
    rolled_up_equals_raw()
    assert metric_value(
        "campaign_spend", first=campaign.period_start, last=campaign.period_end
    ) == Decimal("510")

    later = campaign.period_start + dt.timedelta(days=60)
    campaign_services.campaign_update(
        actor=owner, campaign=campaign, period_start=later, period_end=later
    )
    assert marked(Family.SPEND) == days | {later}
    rolled_up_equals_raw()
    assert metric_value("campaign_spend", first=later, last=later) == Decimal("510")
    assert metric_value(
        "campaign_spend", first=campaign.period_start, last=campaign.period_end
    ) in (None, 0)
    # A change that leaves the spend where it was marks nothing.
    DirtyDay.objects.all().delete()
    campaign_services.campaign_update(actor=owner, campaign=campaign, name="Winter sale 2")
    assert not DirtyDay.objects.exists()


def test_a_centuries_long_campaign_is_marked_in_slices(org, owner, marketing):
    spent = campaign_services.campaign_create(
        actor=owner,
        department=marketing,
        name="Forever",
        objective="brand",
        period_start=dt.date(1950, 1, 1),
        period_end=dt.date(2049, 12, 31),
        spend=Decimal("1"),
    )
    assert DirtyDay.objects.filter(family=Family.SPEND).count() == (
        (spent.period_end - spent.period_start).days + 1
    )


def test_mark_rows_marks_each_day_the_rows_have(link):
    at = [local(organisation_today() - dt.timedelta(days=d), 12) for d in (1, 1, 5)]
    Click.objects.bulk_create(
        [Click(link=link, clicked_at=m, click_id=f"{n:032x}") for n, m in enumerate(at)]
    )
    mark_rows(Family.CLICKS, Click.objects.filter(link=link), "clicked_at")
    assert marked(Family.CLICKS) == {utc_day(m) for m in at}
    mark_rows(Family.TIME, TimeEntry.objects.all(), "day")  # none: nothing marked
    assert not marked(Family.TIME)


# --- What every day depends on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "queued"),
    [
        ("time_zone", "Europe/Berlin", True),
        ("currency", "EUR", True),
        ("hourly_staff_cost", Decimal("75"), True),
        ("name", "Brightline GmbH", False),
    ],
)
def test_an_organisation_change_every_day_depends_on_queues_a_rebuild(
    org, admin_user, monkeypatch, django_capture_on_commit_callbacks, field, value, queued
):
    sent = []
    monkeypatch.setattr(marks.current_app, "send_task", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        department_services.organisation_update(actor=admin_user, **{field: value})
    assert sent == (["metrics.rebuild"] if queued else [])


def test_the_queued_rebuild_recomputes_every_day_in_the_new_time_zone(org, admin_user, link, owner):
    # 02:30 UTC is the evening before in New York, the same morning in Berlin.
    at = dt.datetime.combine(organisation_today() - dt.timedelta(days=3), dt.time(2, 30), dt.UTC)
    link_services.clicks_store(events=[event(link, at)])
    rolled_up_equals_raw()
    assert metric_value("link_clicks", first=local_day(at), last=local_day(at)) == 1
    department_services.organisation_update(actor=admin_user, time_zone="Europe/Berlin")
    with pytest.raises(CommandError):
        call_command("metrics_verify", "--quiet")  # every day moved
    rollup_rebuild()
    call_command("metrics_verify", "--quiet")
    assert metric_value("link_clicks", first=utc_day(at), last=utc_day(at)) == 1


# --- Transactions -------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_a_rolled_back_write_leaves_no_mark(link, owner, marketing):
    with pytest.raises(Boom), transaction.atomic():
        link_services.clicks_store(events=[event(link, timezone.now())])
        record(owner, timezone.now() - dt.timedelta(hours=1))
        time_services.time_entry_create(
            actor=owner, day=organisation_today(), minutes=30, activity="planning"
        )
        assert {f for (f,) in DirtyDay.objects.values_list("family")} == {
            Family.CLICKS,
            Family.CONVERSIONS,
            Family.TIME,
        }
        raise Boom
    assert not DirtyDay.objects.exists()
    assert not Click.objects.exists() and not Conversion.objects.exists()


def test_a_refused_write_marks_nothing(link, owner):
    with pytest.raises(ValidationError):
        record(owner, timezone.now() + dt.timedelta(days=1))  # in the future
    with pytest.raises(ValidationError):
        time_services.time_entry_create(
            actor=owner, day=organisation_today(), minutes=0, activity="planning"
        )
    assert not DirtyDay.objects.exists()


def test_an_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown metrics family"):
        mark("likes", [dt.date(2026, 1, 1)])


# --- Generated data: late rows, backdated rows, changes ---------------------------------


def test_generated_data_with_late_and_backdated_rows_verifies_after_the_marked_pass(
    org, owner, marketing, sales
):
    """Three weeks of clicks, conversions, time and spend are rolled up; then rows arrive
    late (clicks a journal held back, conversions reported days after they happened, time
    logged for past weeks, an entry moved, spend changed, a campaign's period moved) —
    some beyond the nightly week. verify sees the rollup behind; the pass over the marked
    days alone brings it level."""
    rng = random.Random(11)
    today = organisation_today()
    now = timezone.now()
    campaigns = [
        campaign_services.campaign_create(
            actor=owner,
            department=marketing,
            name=f"Generated {n}",
            objective="sales",
            period_start=today - dt.timedelta(days=30 + 5 * n),
            period_end=today + dt.timedelta(days=5 * n),
            spend=Decimal(rng.randint(100, 900)),
        )
        for n in range(3)
    ]
    links = [
        link_services.link_create(
            actor=owner, destination=f"https://shop.example.com/{n}", campaign=campaigns[n % 3]
        )
        for n in range(5)
    ]
    links.append(
        link_services.link_create(actor=owner, destination="https://shop.example.com/bare")
    )

    def clicks(days_back: range, count: int) -> list:
        events = []
        for _ in range(count):
            at = now - dt.timedelta(days=rng.choice(days_back), seconds=rng.randint(0, 86_399))
            events.append(
                event(
                    rng.choice(links),
                    at,
                    visitor=f"v{rng.randint(1, 40)}",
                    bot=rng.random() < 0.1,
                )
            )
        return events

    def conversions(days_back: range, count: int, tag: str) -> None:
        for n in range(count):
            stored = list(Click.objects.filter(is_bot=False).values_list("click_id", flat=True))
            record(
                owner,
                now - dt.timedelta(days=rng.choice(days_back), minutes=rng.randint(0, 1400)),
                value=str(rng.randint(10, 500)),
                currency=rng.choice([None, None, "EUR"]),
                click_id=rng.choice(stored) if stored and rng.random() < 0.6 else "",
                external_id=f"{tag}-{n}",
            )

    def time(days_back: range, count: int) -> list[TimeEntry]:
        return [
            time_services.time_entry_create(
                actor=owner,
                day=today - dt.timedelta(days=rng.choice(days_back)),
                minutes=rng.choice([15, 30, 60]),
                activity=rng.choice(["writing", "replying", "planning"]),
                campaign=rng.choice([None, *campaigns]),
                department=marketing,
            )
            for _ in range(count)
        ]

    # 1. Three weeks, rolled up.
    link_services.clicks_store(events=clicks(range(0, 21), 300))
    conversions(range(0, 21), 25, "first")
    entries = time(range(0, 21), 20)
    rebuild()
    call_command("metrics_verify", "--quiet")

    # 2. Late and backdated rows, and changes.
    link_services.clicks_store(events=clicks(range(1, 21), 120))  # a journal held back
    lines = [json.dumps(e.__dict__).encode() for e in clicks(range(8, 15), 40)]
    link_services.clicks_store_lines(lines=lines)  # the spool's path, days late
    conversions(range(9, 20), 10, "late")  # reported long after
    time(range(10, 20), 6)
    time_services.time_entry_update(actor=owner, entry=entries[0], day=today - dt.timedelta(days=2))
    time_services.time_entry_delete(actor=owner, entry=entries[1])
    campaign_services.campaign_update(actor=owner, campaign=campaigns[0], spend=Decimal("1234.56"))
    campaign_services.campaign_update(
        actor=owner,
        campaign=campaigns[1],
        period_start=campaigns[1].period_start + dt.timedelta(days=3),
    )
    with pytest.raises(CommandError, match="differ"):
        call_command("metrics_verify", "--quiet")
    # The nightly week alone would not do: rows arrived for days before it.
    assert min(DirtyDay.objects.values_list("day", flat=True)) < today - dt.timedelta(days=8)

    # 3. The pass over the marked days brings the rollup level with the raw rows.
    rolled_up_equals_raw()
    assert (
        metric_value("link_clicks", first=today - dt.timedelta(days=30), last=today)
        == Click.objects.filter(is_bot=False).count()
    )
    assert (
        metric_value("conversions", first=today - dt.timedelta(days=30), last=today)
        == Conversion.objects.count()
    )
    assert metric_value(
        "campaign_spend",
        scope=Scope(Dim.CAMPAIGN, campaigns[0].pk),
        first=dt.date(2000, 1, 1),
        last=today + dt.timedelta(days=30),
    ) == Decimal("1234.56")
    # Running it again changes nothing.
    assert recompute_marked() == 0


# --- The demo -----------------------------------------------------------------------------


def test_the_demo_loaded_through_the_services_is_marked_whole(organisation):
    demo_load(today=demo_today())
    demo_campaigns_load(account=XAccountFactory())
    assert {Family.CLICKS, Family.CONVERSIONS, Family.TIME, Family.SPEND} <= set(
        DirtyDay.objects.values_list("family", flat=True)
    )
    rolled_up_equals_raw()
    assert (
        metric_value("link_clicks", first=dt.date(2000, 1, 1), last=organisation_today())
        == Click.objects.filter(is_bot=False).count()
    )
    assert Campaign.objects.filter(spend__gt=0).exists()


# --- Changes made by hand in the admin ---------------------------------------------------


def test_clicks_deleted_in_the_admin_mark_their_days(client, admin_user, link):
    at = [timezone.now() - dt.timedelta(days=d) for d in (3, 12)]
    link_services.clicks_store(events=[event(link, m) for m in at])
    rolled_up_equals_raw()
    client.force_login(admin_user)
    response = client.post(
        "/admin/campaigns/click/",
        {
            "action": "delete_selected",
            "_selected_action": list(Click.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert response.status_code == 302 and not Click.objects.exists()
    assert marked(Family.CLICKS) == {utc_day(m) for m in at}
    rolled_up_equals_raw()
    assert metric_value("link_clicks", first=local_day(at[1]), last=organisation_today()) in (
        None,
        0,
    )


def test_a_link_moved_to_another_campaign_in_the_admin_moves_its_clicks_and_conversions(
    rf, admin_user, campaign, link, owner, marketing, sales
):
    at = timezone.now() - dt.timedelta(days=9)
    click = event(link, at)
    link_services.clicks_store(events=[click])
    record(owner, at + dt.timedelta(minutes=5), click_id=click.click_id)
    rolled_up_equals_raw()
    other = Campaign.objects.create(
        department=sales,
        name="Sales push",
        objective="sales",
        period_start=organisation_today() - dt.timedelta(days=30),
        period_end=organisation_today(),
    )
    link_admin = admin_site._registry[TrackedLink]
    link.campaign = other
    link_admin.save_model(rf.post("/"), link, form=None, change=True)
    assert utc_day(at) in marked(Family.CLICKS) and utc_day(at) in marked(Family.CONVERSIONS)
    rolled_up_equals_raw()
    day = local_day(at)
    by = lambda dim, pk: metric_value(  # noqa: E731
        "link_clicks", scope=Scope(dim, pk), first=day, last=day
    )
    assert by(Dim.CAMPAIGN, other.pk) == 1 and by(Dim.DEPARTMENT, sales.pk) == 1
    assert by(Dim.CAMPAIGN, campaign.pk) in (None, 0)  # no longer the old campaign's
    assert by(Dim.DEPARTMENT, marketing.pk) in (None, 0)


def test_a_campaign_deleted_in_the_admin_takes_its_spend_with_it(rf, admin_user, campaign, owner):
    campaign_services.campaign_update(actor=owner, campaign=campaign, spend=Decimal("300"))
    rolled_up_equals_raw()
    admin_site._registry[Campaign].delete_queryset(
        rf.post("/"), Campaign.objects.filter(pk=campaign.pk)
    )
    assert marked(Family.SPEND)
    rolled_up_equals_raw()
    assert metric_value(
        "campaign_spend", first=campaign.period_start, last=campaign.period_end
    ) in (None, 0)


def test_the_organisations_time_zone_changed_in_the_admin_queues_a_rebuild(
    client, admin_user, org, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(marks.current_app, "send_task", sent.append)
    client.force_login(admin_user)
    form = {
        "name": org.name,
        "type": org.type,
        "time_zone": "Europe/Berlin",
        "currency": org.currency,
        "hourly_staff_cost": org.hourly_staff_cost,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/departments/organisation/{org.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    assert sent == ["metrics.rebuild"]


def test_demo_x_rolls_the_demo_up_and_metrics_verify_passes(organisation, xsim, settings):  # noqa: F811
    """The demo command (`make run`'s worker runs it): the account connected to the
    simulator, the campaign work loaded, the rollup rebuilt; then the sources' first
    runs land their rows with marks, and the marked pass keeps verify clean."""
    settings.X_API_BASE_URL = xsim.url
    demo_load(today=demo_today())
    call_command("demo_x", stdout=io.StringIO())
    assert not DirtyDay.objects.exists()  # the rebuild covered what the load marked
    assert (
        metric_value("link_clicks", first=dt.date(2000, 1, 1), last=organisation_today())
        == Click.objects.filter(is_bot=False).count()
    )
    call_command("metrics_verify", "--quiet")
    # The measured KPIs' targets fit the demo's data: green, amber, not all red.
    kpis = list(
        KPI.objects.filter(
            metric__in=["link_clicks", "conversions"], goal__department__name="Marketing"
        ).order_by("pk")
    )
    rags = {p.kpi.metric: p.rag for p in kpi_progress_many(kpis, today=organisation_today())}
    assert rags == {"link_clicks": Rag.GREEN, "conversions": Rag.AMBER}
    for source in Source.objects.filter(kind__in=["mentions", "own_posts", "followers"]):
        source_run(source_id=source.pk)
    rolled_up_equals_raw()
    assert metric_value("mentions", first=dt.date(2000, 1, 1), last=organisation_today()) == (
        InboxItem.objects.count() or None
    )


def test_a_person_deleted_in_the_admin_queues_a_rebuild(
    client, admin_user, owner, monkeypatch, django_capture_on_commit_callbacks
):
    """Their time entries and private sources go with them."""
    sent = []
    monkeypatch.setattr(marks.current_app, "send_task", sent.append)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/socialops/user/{owner.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert sent == ["metrics.rebuild"]
