"""Time log pages: the weekly timesheet (org time zone weeks, totals, prev/next), the
HTMX quick entry (sheet partial back, 422 with field errors), editing and deleting
one's own entries, and the team view for leads and admins with cost and chart."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import TimeEntry
from campaigns.timelog.services import org_today
from tests.factories import MembershipFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
WEEK = reverse("campaigns:time_week")
CREATE = reverse("campaigns:time_entry_create")
TEAM = reverse("campaigns:time_team")


@pytest.fixture
def member(marketing):
    return MembershipFactory(department=marketing, role="member").user


def login(client, user):
    client.force_login(user)
    return client


def freeze(monkeypatch, when: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: when)


class TestTimesheet:
    def test_empty_week_says_what_to_do(self, client, member):
        response = login(client, member).get(WEEK)

        assert response.status_code == 200
        assert b"Nothing logged this week" in response.content
        assert response.context["form"]["day"].initial == org_today()
        assert response.context["form"]["department"].initial is not None

    def test_totals_and_week_navigation(self, client, member):
        monday = dt.date(2026, 11, 9)
        TimeEntryFactory(user=member, day=monday, minutes=90, activity="planning")
        TimeEntryFactory(user=member, day=monday + dt.timedelta(days=1), minutes=30)
        TimeEntryFactory(day=monday, minutes=300)  # someone else's

        response = login(client, member).get(WEEK, {"week": "2026-W46"})

        sheet = response.context["sheet"]
        assert sheet.monday == monday and sheet.total == 120
        assert b'id="week-total">2:00<' in response.content
        assert b"?week=2026-W45" in response.content and b"?week=2026-W47" in response.content
        assert b"Mon 9" in response.content and b"Sun 15" in response.content

    def test_week_follows_the_organisations_time_zone(
        self, client, member, organisation, monkeypatch
    ):
        """Sunday 23:30 UTC is Monday 12:30 in Auckland: the current week is the new one,
        Sunday's entry belongs to the week before, and Monday may be logged."""
        organisation.time_zone = "Pacific/Auckland"
        organisation.save()
        freeze(monkeypatch, dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))
        TimeEntryFactory(user=member, day=dt.date(2026, 11, 22), minutes=60)
        TimeEntryFactory(user=member, day=dt.date(2026, 11, 23), minutes=30)
        login(client, member)

        this_week = client.get(WEEK)
        last_week = client.get(WEEK, {"week": "2026-W47"})
        logged = client.post(
            CREATE,
            {"day": "2026-11-23", "minutes": "1:15", "activity": "replying", "week": "2026-W48"},
            **HTMX,
        )

        assert this_week.context["sheet"].param == "2026-W48"
        assert this_week.context["sheet"].total == 30
        assert this_week.context["sheet"].today_index == 0
        assert last_week.context["sheet"].total == 60
        assert logged.status_code == 200
        assert logged.context["sheet"].total == 105

    def test_in_los_angeles_monday_utc_is_still_sunday(
        self, client, member, organisation, monkeypatch
    ):
        organisation.time_zone = "America/Los_Angeles"
        organisation.save()
        freeze(monkeypatch, dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC))
        login(client, member)

        response = client.get(WEEK)
        refused = client.post(
            CREATE, {"day": "2026-11-23", "minutes": "30", "activity": "writing"}, **HTMX
        )

        assert response.context["sheet"].param == "2026-W47"
        assert response.context["sheet"].today_index == 6
        assert refused.status_code == 422
        assert "day" in refused.context["form"].errors


class TestQuickEntry:
    def test_htmx_adds_the_entry_and_returns_the_sheet(self, client, member, marketing):
        today = org_today()

        response = login(client, member).post(
            CREATE,
            {
                "day": today.isoformat(),
                "minutes": "1h30",
                "activity": "listening",
                "department": marketing.pk,
            },
            **HTMX,
        )

        assert response.status_code == 200
        assert b"<html" not in response.content and b'id="timesheet"' in response.content
        entry = TimeEntry.objects.get()
        assert (entry.user, entry.minutes, entry.activity) == (member, 90, "listening")
        assert response.context["sheet"].total == 90
        assert response["HX-Push-Url"].endswith(f"week={response.context['sheet'].param}")
        # The form comes back ready for the next entry, with the same day and activity.
        assert response.context["form"]["activity"].initial == "listening"
        assert not response.context["form"].is_bound

    def test_field_errors_are_422_with_the_partial(self, client, member):
        response = login(client, member).post(
            CREATE,
            {"day": org_today().isoformat(), "minutes": "lots", "activity": "golf"},
            **HTMX,
        )

        assert response.status_code == 422
        errors = response.context["form"].errors
        assert {"minutes", "activity"} <= set(errors)
        assert b'id="timesheet"' in response.content and b"<html" not in response.content
        assert not TimeEntry.objects.exists()

    def test_service_errors_show_on_the_field(self, client, member, sales):
        response = login(client, member).post(
            CREATE,
            {"day": org_today().isoformat(), "minutes": "2000", "activity": "writing"},
            **HTMX,
        )

        assert response.status_code == 422
        assert "1,440" in response.context["form"].errors["minutes"][0]

    def test_without_javascript_it_redirects_to_the_week(self, client, member):
        day = org_today() - dt.timedelta(days=8)

        response = login(client, member).post(
            CREATE, {"day": day.isoformat(), "minutes": "20", "activity": "dms"}
        )

        monday = day - dt.timedelta(days=day.weekday())
        assert response.status_code == 302
        year, week, _ = monday.isocalendar()
        assert response["Location"] == f"{WEEK}?week={year}-W{week:02d}"

    def test_invalid_without_javascript_renders_the_page_422(self, client, member):
        response = login(client, member).post(
            CREATE, {"day": "", "minutes": "", "activity": "writing"}
        )

        assert response.status_code == 422
        assert b"<html" in response.content


class TestEditAndDelete:
    def test_only_the_author_edits(self, client, member, owner, colleague, admin_user, marketing):
        entry = TimeEntryFactory(user=member, department=marketing, day=org_today())
        url = reverse("campaigns:time_entry_edit", args=[entry.pk])

        assert login(client, owner).get(url).status_code == 403  # sees it, may not change it
        assert login(client, colleague).get(url).status_code == 404  # does not see it
        assert login(client, admin_user).get(url).status_code == 403
        response = login(client, member).post(
            url, {"day": entry.day.isoformat(), "minutes": "0:50", "activity": "approving"}
        )

        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.minutes, entry.activity, entry.department) == (50, "approving", None)

    def test_edit_errors_are_422(self, client, member):
        entry = TimeEntryFactory(user=member, day=org_today())
        url = reverse("campaigns:time_entry_edit", args=[entry.pk])

        response = login(client, member).post(
            url,
            {
                "day": (org_today() + dt.timedelta(days=3)).isoformat(),
                "minutes": "30",
                "activity": "writing",
            },
            **HTMX,
        )

        assert response.status_code == 422
        assert "day" in response.context["form"].errors

    def test_delete_with_htmx_returns_the_sheet(self, client, member, owner):
        entry = TimeEntryFactory(user=member, day=org_today(), minutes=40)
        url = reverse("campaigns:time_entry_delete", args=[entry.pk])

        assert login(client, owner).post(url).status_code == 404
        response = login(client, member).post(url, **HTMX)

        assert response.status_code == 200
        assert response.context["sheet"].total == 0
        assert not TimeEntry.objects.exists()


class TestTeamView:
    def test_members_without_a_lead_role_get_403(self, client, member):
        assert login(client, member).get(TEAM).status_code == 403

    def test_lead_sees_the_departments_time_with_cost_and_chart(
        self, client, owner, member, colleague, marketing, sales, organisation
    ):
        organisation.hourly_staff_cost = Decimal("80.00")
        organisation.save()
        day = org_today()
        TimeEntryFactory(user=member, department=marketing, day=day, minutes=90)
        TimeEntryFactory(user=colleague, department=sales, day=day, minutes=300)

        response = login(client, owner).get(TEAM)

        summary = response.context["summary"]
        assert response.status_code == 200
        assert summary.minutes == 90 and summary.cost == Decimal("120.00")
        assert [line.key for line in summary.by_person] == [member.username]
        chart = json.loads(
            response.content.decode()
            .split('id="team-chart-data" type="application/json">')[1]
            .split("</script>")[0]
        )
        assert chart["hours"][chart["labels"].index("Writing posts")] == 1.5
        assert b"chartjs-4.6.1/chart.umd.min.js" in response.content

    def test_admin_sees_everyone_and_filters_by_department(
        self, client, admin_user, member, colleague, marketing, sales
    ):
        day = org_today()
        TimeEntryFactory(user=member, department=marketing, day=day, minutes=90)
        TimeEntryFactory(user=colleague, department=sales, day=day, minutes=30)
        login(client, admin_user)

        everyone = client.get(TEAM)
        only_sales = client.get(TEAM, {"department": sales.pk})

        assert everyone.context["summary"].minutes == 120
        assert only_sales.context["summary"].minutes == 30

    def test_a_lead_cannot_pick_another_department(self, client, owner, sales):
        response = login(client, owner).get(TEAM, {"department": sales.pk})

        assert response.status_code == 422
        assert "department" in response.context["form"].errors
        assert response.context["summary"].minutes == 0

    def test_period_and_its_errors(self, client, owner, member, marketing):
        TimeEntryFactory(user=member, department=marketing, day=dt.date(2026, 10, 5), minutes=60)
        login(client, owner)

        october = client.get(TEAM, {"start": "2026-10-01", "end": "2026-10-31"})
        backwards = client.get(TEAM, {"start": "2026-10-31", "end": "2026-10-01"})

        assert october.context["summary"].minutes == 60
        assert backwards.status_code == 422
        assert "end" in backwards.context["form"].errors

    def test_empty_period(self, client, owner):
        response = login(client, owner).get(TEAM)

        assert b"No time logged in this period" in response.content


def test_pages_queries_do_not_grow_with_rows(client, owner, member, marketing, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(user, url):
        login(client, user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    def add(n):
        for _ in range(n):
            TimeEntryFactory(
                user=member, department=marketing, campaign=campaign, day=org_today(), minutes=5
            )

    add(2)
    few = (queries(member, WEEK), queries(owner, TEAM))
    add(6)
    assert (queries(member, WEEK), queries(owner, TEAM)) == few
