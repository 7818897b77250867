"""The time log's services and visibility: people change only their own entries; leads
see what is logged against their department; admins see everything; bad input is a
field error; "today" is the organisation's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import TimeEntry
from campaigns.timelog.selectors import (
    team_entries_visible_to,
    team_summary,
    time_entries_visible_to,
    timesheet,
    week_param,
    week_parse,
)
from campaigns.timelog.services import (
    org_today,
    time_entry_create,
    time_entry_delete,
    time_entry_update,
)
from socialops.models import AuditEvent
from tests.factories import MembershipFactory, TimeEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def freeze(monkeypatch, when: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: when)


@pytest.fixture
def member(marketing):
    """A member of Marketing, whose lead is `owner`."""
    return MembershipFactory(department=marketing, role="member").user


def log(actor, **overrides) -> TimeEntry:
    data = {"day": org_today(), "minutes": 45, "activity": "writing", **overrides}
    return time_entry_create(actor=actor, **data)


class TestCreate:
    def test_logs_own_time_with_an_audit_row(self, member, marketing, campaign):
        entry = log(member, department=marketing, campaign=campaign, note="  drafts ")

        assert entry.user == member and entry.note == "drafts"
        audit = AuditEvent.objects.get(object_type="campaigns.timeentry")
        assert audit.actor == member and audit.department == marketing

    @pytest.mark.parametrize("minutes", [0, 1441, -5])
    def test_minutes_between_1_and_1440(self, member, minutes):
        with pytest.raises(ValidationError) as exc:
            log(member, minutes=minutes)

        assert "minutes" in exc.value.message_dict
        assert not TimeEntry.objects.exists()

    def test_a_day_has_1440_minutes_across_entries(self, member):
        log(member, minutes=1000)

        with pytest.raises(ValidationError) as exc:
            log(member, minutes=441)
        assert "already logged 1000 minutes" in exc.value.message_dict["minutes"][0]

        assert log(member, minutes=440).pk

    def test_day_not_in_the_future(self, member):
        with pytest.raises(ValidationError) as exc:
            log(member, day=org_today() + dt.timedelta(days=1))

        assert exc.value.message_dict["day"] == [
            "This day is still to come; log time once it has been spent."
        ]

    def test_activity_from_the_choices(self, member):
        with pytest.raises(ValidationError) as exc:
            log(member, activity="golfing")

        assert "activity" in exc.value.message_dict

    def test_department_must_be_ones_own(self, member, sales, admin_user):
        with pytest.raises(ValidationError) as exc:
            log(member, department=sales)
        assert "department" in exc.value.message_dict

        assert log(admin_user, department=sales).department == sales

    def test_today_is_the_organisations(self, member, organisation, monkeypatch):
        """23:30 UTC on Sunday is already Monday in Auckland: Monday may be logged."""
        organisation.time_zone = "Pacific/Auckland"
        organisation.save()
        freeze(monkeypatch, dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))

        assert org_today() == dt.date(2026, 11, 23)
        assert log(member, day=dt.date(2026, 11, 23)).pk
        with pytest.raises(ValidationError):
            log(member, day=dt.date(2026, 11, 24))

    def test_and_the_other_way_round(self, member, organisation, monkeypatch):
        """05:00 UTC on Monday is still Sunday evening in Los Angeles."""
        organisation.time_zone = "America/Los_Angeles"
        organisation.save()
        freeze(monkeypatch, dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC))

        with pytest.raises(ValidationError) as exc:
            log(member, day=dt.date(2026, 11, 23))
        assert "day" in exc.value.message_dict


class TestChange:
    def test_only_the_author_updates_or_deletes(self, member, owner, colleague, admin_user):
        entry = log(member)

        for other in (owner, colleague, admin_user):
            with pytest.raises(PermissionDenied):
                time_entry_update(actor=other, entry=entry, minutes=10)
            with pytest.raises(PermissionDenied):
                time_entry_delete(actor=other, entry=entry)

        time_entry_update(actor=member, entry=entry, minutes=90, activity="planning")
        entry.refresh_from_db()
        assert (entry.minutes, entry.activity) == (90, "planning")

        time_entry_delete(actor=member, entry=entry)
        assert not TimeEntry.objects.exists()
        assert list(
            AuditEvent.objects.filter(object_type="campaigns.timeentry")
            .order_by("id")
            .values_list("action", flat=True)
        ) == ["create", "update", "delete"]

    def test_invalid_update_changes_nothing(self, member):
        entry = log(member, minutes=30)

        with pytest.raises(ValidationError):
            time_entry_update(actor=member, entry=entry, minutes=2000, note="x")

        entry.refresh_from_db()
        assert (entry.minutes, entry.note) == (30, "")

    def test_update_does_not_count_the_entry_twice_in_the_day(self, member):
        entry = log(member, minutes=1000)

        assert time_entry_update(actor=member, entry=entry, minutes=1440).minutes == 1440


class TestVisibility:
    @pytest.fixture
    def entries(self, member, owner, colleague, marketing, sales):
        return {
            "member_marketing": TimeEntryFactory(user=member, department=marketing),
            "member_private": TimeEntryFactory(user=member),
            "owner_own": TimeEntryFactory(user=owner),
            "colleague_sales": TimeEntryFactory(user=colleague, department=sales),
        }

    def visible(self, user, entries):
        pks = set(time_entries_visible_to(user=user).values_list("pk", flat=True))
        return {name for name, entry in entries.items() if entry.pk in pks}

    def test_author_sees_own(self, member, entries):
        assert self.visible(member, entries) == {"member_marketing", "member_private"}

    def test_lead_sees_own_and_those_logged_against_the_department(self, owner, entries):
        assert self.visible(owner, entries) == {"member_marketing", "owner_own"}

    def test_colleague_of_another_department_sees_none_of_ours(self, colleague, entries):
        assert self.visible(colleague, entries) == {"colleague_sales"}

    def test_admin_sees_all(self, admin_user, entries):
        assert self.visible(admin_user, entries) == set(entries)

    def test_nobody_signed_out(self, entries):
        from django.contrib.auth.models import AnonymousUser

        assert not time_entries_visible_to(user=AnonymousUser()).exists()

    def test_team_view_is_the_departments_for_a_lead(self, owner, member, admin_user, entries):
        assert {e.pk for e in team_entries_visible_to(user=owner)} == {
            entries["member_marketing"].pk
        }
        assert not team_entries_visible_to(user=member).exists()
        assert team_entries_visible_to(user=admin_user).count() == 4


class TestSheetsAndSummaries:
    def test_week_param_round_trip(self):
        monday = week_parse("2026-W48", today=dt.date(2026, 1, 1))

        assert monday == dt.date(2026, 11, 23)
        assert week_param(monday) == "2026-W48"
        assert week_parse("2026-W99", today=dt.date(2026, 11, 25)) == dt.date(2026, 11, 23)
        assert week_parse(None, today=dt.date(2026, 11, 29)) == dt.date(2026, 11, 23)
        assert week_param(dt.date(2026, 12, 28)) == "2026-W53"

    def test_timesheet_totals(self, member):
        monday = dt.date(2026, 11, 16)
        TimeEntryFactory(user=member, day=monday, minutes=30, activity="writing")
        TimeEntryFactory(user=member, day=monday, minutes=15, activity="writing")
        TimeEntryFactory(user=member, day=monday + dt.timedelta(days=6), minutes=60)
        TimeEntryFactory(user=member, day=monday + dt.timedelta(days=2), activity="replying")
        TimeEntryFactory(user=member, day=monday + dt.timedelta(days=7), minutes=999)
        TimeEntryFactory(day=monday, minutes=500)  # someone else's

        sheet = timesheet(user=member, monday=monday)

        writing = next(r for r in sheet.rows if r.activity == "writing")
        assert writing.minutes == [45, 0, 0, 0, 0, 0, 60]
        assert writing.total == 105 and writing.total_text == "1:45"
        assert sheet.day_totals == [45, 0, 30, 0, 0, 0, 60]
        assert sheet.total == 135
        assert len(sheet.rows) == len(TimeEntry.Activity.choices)
        assert (sheet.previous, sheet.next) == ("2026-W46", "2026-W48")

    def test_team_summary_costs_hours_at_the_organisations_rate(
        self, owner, member, marketing, organisation
    ):
        organisation.hourly_staff_cost = Decimal("60.00")
        organisation.save()
        day = dt.date(2026, 11, 17)
        TimeEntryFactory(user=member, department=marketing, day=day, minutes=90)
        TimeEntryFactory(user=owner, department=marketing, day=day, minutes=30, activity="planning")
        TimeEntryFactory(user=UserFactory(), day=day, minutes=600)  # not Marketing's

        summary = team_summary(user=owner, start=day, end=day)

        assert summary.minutes == 120 and summary.hours == Decimal("2.00")
        assert summary.cost == Decimal("120.00")
        assert [(line.minutes, line.cost) for line in summary.by_person] == [
            (90, Decimal("90.00")),
            (30, Decimal("30.00")),
        ]
        by_activity = {line.key: line.minutes for line in summary.by_activity}
        assert by_activity["writing"] == 90 and by_activity["planning"] == 30
