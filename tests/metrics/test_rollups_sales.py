"""Sales figures in the rollup (metrics.facts.prospects): leads, touches, prospects engaged,
stage entries and exits with the time spent in a stage, the pipeline's value — marked by
prospects' services in the same transaction, kept equal to the raw rows (verify), late
and backdated rows included, and never naming a prospect."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from listening.models import XUser
from metrics.measure import ORG, Scope, metric_value
from metrics.models import DailyRollup, Dim
from metrics.rollups import organisation_today, rebuild, recompute_marked, verify
from prospects import services
from prospects.models import StageChange
from socialops.marks import Family, mark
from socialops.models import DirtyDay
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

EVER = dt.date(2000, 1, 1)


@pytest.fixture
def team(organisation, sales, marketing):
    rep = MembershipFactory(department=sales, role="member", user__username="sofia").user
    other = MembershipFactory(department=marketing, role="member", user__username="mark").user
    for n, handle in enumerate(["ann", "bob", "cy"]):
        XUser.objects.create(id=900 + n, username=handle, name=handle, fetched_at=timezone.now())
    plist = services.prospect_list_create(actor=rep, name="Targets")
    return rep, other, plist


def _value(metric, scope=ORG, first=EVER, last=None):
    return metric_value(metric, scope=scope, first=first, last=last or organisation_today())


def _clean():
    recompute_marked()
    assert not DirtyDay.objects.exists()
    assert verify(organisation_today() - dt.timedelta(days=40), organisation_today()) == []


def test_no_prospect_yet_is_no_data_yet(team):
    _clean()
    for metric in ("leads", "touches", "prospects_engaged", "pipeline_value"):
        assert _value(metric) is None, metric


def test_leads_touches_stages_and_pipeline_by_department_and_rep(team, sales):
    rep, other, plist = team
    ann = services.prospect_add(actor=rep, prospect_list=plist, handle="ann").prospect
    bob = services.prospect_add(actor=rep, prospect_list=plist, handle="bob").prospect
    services.prospect_update(actor=rep, prospect=ann, value=Decimal("1000"))
    services.prospect_update(actor=rep, prospect=bob, value=Decimal("250"))
    services.touch_log(actor=rep, prospect=ann, kind="call")
    services.touch_log(actor=rep, prospect=ann, kind="email")
    services.touch_log(actor=rep, prospect=bob, kind="note")
    services.prospect_move(actor=rep, prospect=bob, stage=services.stage_by_key("lost"))
    services.prospect_move(actor=rep, prospect=ann, stage=services.stage_by_key("meeting"))
    _clean()

    department, by_rep = Scope(Dim.DEPARTMENT, sales.pk), Scope(Dim.REP, rep.pk)
    for scope in (ORG, department, by_rep):
        assert _value("leads", scope) == 2
        assert _value("touches", scope) == 3
        assert _value("prospects_engaged", scope) == 2  # distinct prospects, one day
        assert _value("pipeline_value", scope) == Decimal("1000")  # Bob was lost
    assert _value("leads", Scope(Dim.DEPARTMENT, other.memberships.get().department_id)) is None
    identified = services.stage_by_key("identified")
    assert _value("stage_entries", Scope(Dim.STAGE, identified.pk)) == 2
    assert _value("stage_exits", Scope(Dim.STAGE, identified.pk)) == 2
    assert _value("stage_entries", Scope(Dim.STAGE, services.stage_by_key("meeting").pk)) == 1
    hours = _value("avg_hours_in_stage")
    assert hours is not None and Decimal(0) <= hours < Decimal(1)  # moved within the test

    # Aggregates only: no cell is keyed by a prospect (or anything but these dimensions).
    cells = DailyRollup.objects.filter(
        metric__in=["leads", "touches", "prospects_engaged", "pipeline_value", "stage_entries"]
    )
    assert set(cells.values_list("dim", flat=True)) <= {"org", "department", "rep", "stage"}
    assert set(cells.filter(dim="rep").values_list("dim_id", flat=True)) == {rep.pk}


def test_backdated_touches_and_a_late_value_edit_keep_verify_clean(team):
    rep, _, plist = team
    ann = services.prospect_add(actor=rep, prospect_list=plist, handle="ann").prospect
    _clean()
    today = organisation_today()
    # Her history replayed twelve days back (as an import would, marking both days the
    # rows leave and land on), then a call logged for last week, after the fact.
    twelve_days_ago = timezone.now() - dt.timedelta(days=12)
    StageChange.objects.filter(prospect=ann).update(at=twelve_days_ago)
    mark(Family.PROSPECTS, [timezone.now(), twelve_days_ago])
    services.touch_log(
        actor=rep, prospect=ann, kind="call", occurred_at=timezone.now() - dt.timedelta(days=7)
    )
    _clean()
    week_ago = today - dt.timedelta(days=7)
    assert _value("touches", first=week_ago, last=week_ago) == 1
    assert _value("touches", first=today, last=today) == 0  # counted since: a measured 0
    assert _value("leads", last=today - dt.timedelta(days=11)) == 1

    # The value set today moves the pipeline on every day it was drawn, back to the lead.
    assert _value("pipeline_value", last=today - dt.timedelta(days=11)) == Decimal(0)
    services.prospect_update(actor=rep, prospect=ann, value=Decimal("5000"))
    assert DirtyDay.objects.exists()
    _clean()
    assert _value("pipeline_value", last=today - dt.timedelta(days=11)) == Decimal("5000")
    assert _value("pipeline_value") == Decimal("5000")


def test_a_rebuild_starts_at_the_first_prospect_row(team):
    rep, _, plist = team
    ann = services.prospect_add(actor=rep, prospect_list=plist, handle="ann").prospect
    long_ago = timezone.now() - dt.timedelta(days=400)
    StageChange.objects.filter(prospect=ann).update(at=long_ago)
    DailyRollup.objects.all().delete()
    DirtyDay.objects.all().delete()
    rebuild()
    assert _value("leads", last=organisation_today() - dt.timedelta(days=399)) == 1
