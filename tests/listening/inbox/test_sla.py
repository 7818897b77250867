"""SLA policies and states, business-hours response times, sentiment corrections and the
inbox metrics (rollups, verify with late rows, report, overview count)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from departments.hours import calendar
from departments.models import OpeningHours
from listening.inbox import sending, services
from listening.inbox.models import Conversation, ResponseTime, SentimentLabel
from listening.inbox.sla import selectors as sla_selectors
from listening.inbox.sla.models import SlaPolicy
from metrics import measure, rollups
from metrics.models import Dim
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory


def _answer(conversation: Conversation, user, at: datetime) -> Conversation:
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        sending.response_record(conversation=locked, responder=user, at=at)
    return Conversation.objects.get(pk=conversation.pk)


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def outsider(db):
    return MembershipFactory(department=DepartmentFactory(name="Legal"), role="lead").user


@pytest.fixture
def lead(service):
    return MembershipFactory(department=service, role="lead").user


def test_moment_after_is_the_inverse_of_business_seconds():
    cal = calendar("Europe/Madrid", {d: [(time(9), time(17))] for d in range(5)})
    friday_late = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 16:00 in Madrid
    due = cal.moment_after(friday_late, 2 * 3600)
    assert due == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 10:00 in Madrid
    assert cal.seconds(friday_late, due) == 2 * 3600


def test_states_filter_and_at_risk_first(service, agent, mentions, arrive):
    SlaPolicy.objects.create(
        department=service, priority="normal", first_response_minutes=60, business_hours=False
    )
    arrive(mentions, "@brightline my invoice is wrong")
    arrive(mentions, "@brightline hello there")
    old, new = Conversation.objects.order_by("pk")
    assert new.sla_policy_id and new.sla_due_at == new.awaiting_since + timedelta(minutes=60)
    assert new.sla_at_risk_at == new.awaiting_since + timedelta(minutes=45)
    now = new.awaiting_since + timedelta(minutes=50)  # 83 % used
    rows = Conversation.objects.all()
    assert set(sla_selectors.sla_filter(rows, "at_risk", now=now)) == {old, new}
    assert not sla_selectors.sla_filter(rows, "missed", now=now).exists()
    # The first one answered in time: its clock stops, the other stays at risk.
    old = _answer(old, agent, now)
    assert old.sla_at_risk_at is None and old.sla_due_at is None and not old.sla_missed
    rt = ResponseTime.objects.get(conversation=old)
    assert rt.within_sla is True and rt.business_seconds == rt.seconds
    assert list(sla_selectors.sla_filter(rows, "at_risk", now=now)) == [new]
    assert list(sla_selectors.sla_filter(rows, "on_target", now=now)) == [old]
    ordered = sla_selectors.at_risk_first(rows.order_by("pk"), limit=10, now=now)
    assert ordered == [new, old]
    # Past due: missed, and missed for good once answered late.
    later = now + timedelta(minutes=30)
    assert list(sla_selectors.sla_filter(rows, "missed", now=later)) == [new]
    new = _answer(new, agent, later)
    assert new.sla_missed and ResponseTime.objects.get(conversation=new).within_sla is False


def test_business_hours_durations(service, agent, mentions, arrive):
    for day in range(7):
        OpeningHours.objects.create(department=None, weekday=day, opens=time(0), closes=time(1))
    arrive(mentions, "@brightline hello")
    conversation = Conversation.objects.get()
    at = conversation.awaiting_since + timedelta(days=2)
    conversation = _answer(conversation, agent, at)
    assert conversation.first_response_seconds == 2 * 86400
    assert conversation.first_response_business_seconds == 2 * 3600
    services.conversation_status_set(actor=agent, conversation=conversation, status="resolved")
    conversation.refresh_from_db()
    assert conversation.resolved_by == agent
    assert conversation.resolution_business_seconds is not None


def test_policy_page_three_users_and_field_errors(client, service, lead, outsider, admin):
    url = reverse("inbox:sla_policies")
    client.force_login(outsider)
    assert client.get(url).status_code == 200  # Legal's lead sees Legal only
    response = client.post(url, {"department": service.pk, "priority": "urgent"})
    assert response.status_code == 400 and "department" in response.context["form"].errors
    client.force_login(lead)
    response = client.post(url, {"department": service.pk, "priority": "urgent"})
    assert response.status_code == 400
    assert "Set at least one target." in response.content.decode()
    response = client.post(
        url,
        {"department": service.pk, "priority": "urgent", "first_response_minutes": "-3"},
        HTTP_HX_REQUEST="true",
    )
    assert (
        response.status_code == 400 and "first_response_minutes" in response.context["form"].errors
    )
    response = client.post(
        url, {"department": service.pk, "priority": "urgent", "first_response_minutes": "30"}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert SlaPolicy.objects.get().first_response_minutes == 30
    client.force_login(admin)
    response = client.post(
        url, {"department": service.pk, "priority": "urgent", "first_response_minutes": "20"}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert SlaPolicy.objects.get().first_response_minutes == 20
    client.force_login(MembershipFactory(department=service, role="member").user)
    assert client.get(url).status_code == 403


def test_sentiment_correction_and_agreement(client, service, agent, outsider, mentions, arrive):
    arrive(mentions, "@brightline I was charged twice")
    arrive(mentions, "@brightline love it")
    complaint, praise = Conversation.objects.order_by("pk")
    assert complaint.sentiment == complaint.sentiment_scored == "negative"
    inbox = reverse("inbox:department", args=[service.slug])
    client.force_login(agent)
    assert "no data yet" in client.get(inbox).content.decode()
    client.force_login(outsider)
    url = reverse("inbox:sentiment", args=[praise.pk])
    assert client.post(url, {"sentiment": "neutral"}).status_code == 404
    client.force_login(agent)
    assert client.post(url, {"sentiment": "bogus"}).status_code == 400
    assert client.post(url, {"sentiment": "neutral"}).status_code == 302
    label = SentimentLabel.objects.get()
    assert (label.scored, label.old, label.new, label.by) == (
        "positive",
        "positive",
        "neutral",
        agent,
    )
    praise.refresh_from_db()
    assert praise.sentiment == "neutral" and praise.sentiment_scored == "positive"
    assert "macro-F1 0.00 over 1 corrected conversation" in client.get(inbox).content.decode()


def test_inbox_metrics_rollup_verify_late_rows_and_pages(
    client, service, agent, admin, mentions, arrive
):
    SlaPolicy.objects.create(
        department=service, priority="normal", first_response_minutes=120, business_hours=False
    )
    arrive(mentions, "@brightline my order is not working")
    arrive(mentions, "@brightline thanks, great")
    first, second = Conversation.objects.order_by("pk")
    now = timezone.now()
    for conversation, minutes in ((first, 30), (second, 300)):
        since = now - timedelta(minutes=minutes)
        Conversation.objects.filter(pk=conversation.pk).update(
            first_message_at=since, awaiting_since=since
        )
        conversation.refresh_from_db()
        _answer(conversation, agent, now)
    rollups.rebuild()
    day = rollups.organisation_today()
    yesterday_ = day - timedelta(days=1)
    scope = measure.Scope(Dim.DEPARTMENT, service.pk)
    person = measure.Scope(Dim.PERSON, agent.pk)
    value = measure.metric_value
    assert value("sla_met_share", scope=scope, first=yesterday_, last=day) == 50
    assert (
        value("median_first_response_minutes", scope=person, first=yesterday_, last=day) is not None
    )
    table = measure.Table([measure.Request("median_first_response_minutes", scope, day, day)])
    bands = dict(measure.spread(table.histogram("first_response_minutes", scope, day, day)))
    assert value("median_first_response_minutes", scope=scope, first=day, last=day) > 30
    assert bands["0–1 h"] == 1 and bands["4–8 h"] == 1
    assert value("positive_sentiment_share", scope=scope, first=yesterday_, last=day) == 50
    assert value("replies", scope=scope, first=yesterday_, last=day) == 0  # no post sent by X here
    assert rollups.verify(day - timedelta(days=1), day + timedelta(days=1)) == []
    # A late row (a reply recorded for yesterday) is marked; the marked pass catches up.
    arrive(mentions, "@brightline late one")
    late = Conversation.objects.order_by("-pk").first()
    yesterday = timezone.now() - timedelta(days=1)
    Conversation.objects.filter(pk=late.pk).update(
        first_message_at=yesterday, awaiting_since=yesterday
    )
    late.refresh_from_db()
    _answer(late, agent, yesterday + timedelta(minutes=5))
    assert rollups.verify(day - timedelta(days=2), day + timedelta(days=1)) != []
    rollups.recompute_marked()
    rollups.recompute_recent()
    assert rollups.verify(day - timedelta(days=2), day + timedelta(days=1)) == []
    # Pages: the report reads the rollups; empty scopes say "no data yet".
    client.force_login(admin)
    page = client.get(reverse("departments:inbox_report")).content.decode()
    assert "Customer service" in page and "no data yet" in page
    assert client.get(reverse("departments:overview")).status_code == 200


def test_overview_counts_at_risk(client, service, agent, admin, mentions, arrive):
    SlaPolicy.objects.create(
        department=service, priority="normal", first_response_minutes=1, business_hours=False
    )
    arrive(mentions, "@brightline anyone?")
    conversation = Conversation.objects.get()
    # 75 % of a minute has passed: at risk, not yet missed.
    Conversation.objects.filter(pk=conversation.pk).update(
        sla_at_risk_at=timezone.now() - timedelta(seconds=1),
        sla_due_at=timezone.now() + timedelta(minutes=5),
    )
    client.force_login(admin)
    page = client.get(reverse("departments:overview")).content.decode()
    assert "<strong>1</strong> in Customer service" in page
    client.force_login(agent)
    listing = client.get(reverse("inbox:department", args=[service.slug]) + "?sla=at_risk")
    assert listing.status_code == 200 and "SLA: At risk" in listing.content.decode()
