"""/api/v1/time-entries/: CRUD on one's own entries, lists narrowed like the pages
(own; a lead also their department's; an admin all), 403 for changing a visible entry
of someone else, 400 field errors, filters."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from campaigns.models import TimeEntry
from campaigns.timelog.forms import parse_minutes
from campaigns.timelog.services import org_today
from tests.campaigns.helpers import client_for
from tests.factories import MembershipFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/time-entries/"


@pytest.fixture
def member(marketing):
    return MembershipFactory(department=marketing, role="member").user


def payload(**overrides):
    return {"day": org_today().isoformat(), "minutes": 45, "activity": "writing", **overrides}


class TestCrud:
    def test_create_read_update_delete_own(self, member, campaign):
        client = client_for(member)

        created = client.post(
            URL, payload(campaign=campaign.pk, department="marketing"), format="json"
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["user"]["username"] == member.username
        assert body["department"]["slug"] == "marketing"
        assert body["campaign"]["id"] == campaign.pk
        url = f"{URL}{body['id']}/"

        assert client.get(url).json()["minutes"] == 45
        patched = client.patch(url, {"minutes": 60, "note": "threads"}, format="json")
        assert patched.status_code == 200 and patched.json()["minutes"] == 60
        assert patched.json()["note"] == "threads"
        put = client.put(url, payload(activity="planning", minutes=10), format="json")
        assert put.status_code == 200 and put.json()["activity"] == "planning"
        assert client.delete(url).status_code == 204
        assert not TimeEntry.objects.exists()

    def test_field_errors(self, member, sales):
        client = client_for(member)
        future = (org_today() + dt.timedelta(days=2)).isoformat()

        too_long = client.post(URL, payload(minutes=1441), format="json")
        tomorrow = client.post(URL, payload(day=future), format="json")
        not_mine = client.post(URL, payload(department="sales"), format="json")
        shape = client.post(URL, payload(activity="golf", minutes="x"), format="json")

        assert too_long.status_code == 400 and "minutes" in too_long.json()
        assert tomorrow.status_code == 400 and "day" in tomorrow.json()
        assert not_mine.status_code == 400 and "department" in not_mine.json()
        assert shape.status_code == 400 and {"activity", "minutes"} <= set(shape.json())
        assert not TimeEntry.objects.exists()

    def test_anonymous_401(self):
        assert APIClient().get(URL).status_code == 401


class TestVisibility:
    def test_three_users_and_a_lead(self, member, owner, colleague, admin_user, marketing):
        mine = TimeEntryFactory(user=member, department=marketing)
        private = TimeEntryFactory(user=member)
        theirs = TimeEntryFactory(user=colleague)

        def ids(user):
            return {e["id"] for e in client_for(user).get(URL).json()["results"]}

        assert ids(member) == {mine.pk, private.pk}
        assert ids(owner) == {mine.pk}  # Marketing's lead: entries logged for Marketing
        assert ids(colleague) == {theirs.pk}
        assert ids(admin_user) == {mine.pk, private.pk, theirs.pk}

    def test_visible_but_not_own_is_403_hidden_is_404(self, member, owner, colleague, marketing):
        entry = TimeEntryFactory(user=member, department=marketing)
        url = f"{URL}{entry.pk}/"

        assert client_for(owner).patch(url, {"minutes": 1}, format="json").status_code == 403
        assert client_for(owner).delete(url).status_code == 403
        assert client_for(colleague).get(url).status_code == 404
        assert client_for(colleague).delete(url).status_code == 404
        entry.refresh_from_db()
        assert entry.minutes == 30

    def test_admin_reads_but_does_not_change_others_entries(self, member, admin_user):
        entry = TimeEntryFactory(user=member)
        url = f"{URL}{entry.pk}/"

        assert client_for(admin_user).get(url).status_code == 200
        assert client_for(admin_user).patch(url, {"minutes": 5}, format="json").status_code == 403


class TestFilters:
    def test_user_activity_campaign_department_and_days(
        self, admin_user, member, owner, marketing, campaign
    ):
        TimeEntryFactory(user=member, day=dt.date(2026, 11, 2), activity="writing")
        TimeEntryFactory(
            user=member, day=dt.date(2026, 11, 9), activity="replying", campaign=campaign
        )
        TimeEntryFactory(user=owner, day=dt.date(2026, 11, 16), department=marketing)
        client = client_for(admin_user)

        def days(**params):
            response = client.get(URL, params)
            assert response.status_code == 200, response.json()
            return sorted(e["day"] for e in response.json()["results"])

        assert days(user=member.username) == ["2026-11-02", "2026-11-09"]
        assert days(activity="replying") == ["2026-11-09"]
        assert days(campaign=campaign.pk) == ["2026-11-09"]
        assert days(department="marketing") == ["2026-11-16"]
        assert days(day_after="2026-11-09", day_before="2026-11-15") == ["2026-11-09"]
        assert days(day_before="2026-11-02") == ["2026-11-02"]

    def test_day_range_is_exact_in_a_far_time_zone(self, admin_user, organisation):
        organisation.time_zone = "Pacific/Kiritimati"  # UTC+14
        organisation.save()
        TimeEntryFactory(day=dt.date(2026, 11, 9))
        TimeEntryFactory(day=dt.date(2026, 11, 10))

        results = client_for(admin_user).get(URL, {"day_after": "2026-11-10"}).json()["results"]

        assert [e["day"] for e in results] == ["2026-11-10"]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        ("1:30", 90),
        ("1h30", 90),
        ("1h 30m", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        ("45m", 45),
        ("45 min", 45),
        ("2h", 120),
        ("", None),
        ("lots", None),
        ("1:3", None),
    ],
)
def test_minutes_as_people_type_them(text, minutes):
    assert parse_minutes(text) == minutes
