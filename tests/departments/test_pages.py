from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from departments.models import KPI, Goal, Measurement, Membership
from socialops.models import AuditEvent
from tests.factories import PASSWORD, GoalFactory, KPIFactory, MeasurementFactory, MembershipFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def goal(marketing):
    return GoalFactory(department=marketing, title="Grow reach")


@pytest.fixture
def kpi(goal):
    return KPIFactory(goal=goal)


def _client(client, user):
    client.force_login(user)
    return client


class TestSignIn:
    def test_anonymous_is_sent_to_sign_in(self, client, marketing):
        for url in ["/", "/departments/", marketing.get_absolute_url()]:
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")

    def test_sign_in_with_password(self, client, owner):
        response = client.post(
            "/accounts/login/", {"username": owner.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200

    def test_wrong_password_is_a_form_error(self, client, owner):
        response = client.post("/accounts/login/", {"username": owner.username, "password": "x"})
        assert response.status_code == 200
        assert b"correct username and password" in response.content

    def test_demo_logins_listed_only_when_enabled(self, client, settings, organisation):
        from departments.demo import demo_load

        demo_load(today=dt.date(2026, 11, 22))
        settings.SHOW_DEMO_LOGINS = True
        assert b"socialops-demo" in client.get("/accounts/login/").content
        settings.SHOW_DEMO_LOGINS = False
        assert b"socialops-demo" not in client.get("/accounts/login/").content

    def test_password_reset_sends_mail(self, client, owner, mailoutbox):
        response = client.post("/accounts/password_reset/", {"email": owner.email})
        assert response.status_code == 302
        assert len(mailoutbox) == 1
        assert "/accounts/reset/" in mailoutbox[0].body


class TestReading:
    """Goals and KPIs are open to every signed-in member; the steering committee needs
    the whole picture."""

    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_everyone_reads_every_department(self, client, request, who, goal, kpi):
        MeasurementFactory(kpi=kpi)
        c = _client(client, request.getfixturevalue(who))
        for url in [
            "/",
            "/departments/",
            goal.department.get_absolute_url(),
            goal.get_absolute_url(),
            kpi.get_absolute_url(),
        ]:
            response = c.get(url)
            assert response.status_code == 200, url
            if url not in {"/", "/departments/"}:
                assert b"Grow reach" in response.content

    def test_home_shows_my_departments_kpis(self, client, owner, goal, kpi):
        MeasurementFactory(kpi=kpi, value=550)
        response = _client(client, owner).get("/")
        assert b"Grow reach" in response.content
        assert b"550" in response.content

    def test_empty_states_say_what_to_do(self, client, owner, marketing):
        response = _client(client, owner).get(marketing.get_absolute_url())
        assert b"No goals yet" in response.content
        assert b"Suggest goals" in response.content

    def test_detail_query_count_is_flat(
        self, client, owner, marketing, django_assert_max_num_queries
    ):
        for _ in range(6):
            goal = GoalFactory(department=marketing)
            for _ in range(3):
                MeasurementFactory(kpi=KPIFactory(goal=goal))
        c = _client(client, owner)
        with django_assert_max_num_queries(25):
            assert c.get(marketing.get_absolute_url()).status_code == 200

    def test_times_in_organisation_time_zone(self, client, admin_user, organisation, marketing):
        organisation.time_zone = "Pacific/Auckland"
        organisation.save()
        response = _client(client, admin_user).get(marketing.get_absolute_url())
        assert b"Times in Pacific/Auckland" in response.content


class TestEditingRights:
    def test_colleague_gets_403_on_other_departments_forms(self, client, colleague, goal, kpi):
        c = _client(client, colleague)
        dept = goal.department.slug
        for url in [
            f"/departments/{dept}/goals/new/",
            f"/departments/{dept}/suggestions/",
            f"/departments/{dept}/edit/",
            f"/goals/{goal.pk}/edit/",
            f"/goals/{goal.pk}/kpis/new/",
            f"/kpis/{kpi.pk}/edit/",
        ]:
            assert c.get(url).status_code == 403, url
        assert c.post(f"/goals/{goal.pk}/delete/").status_code == 403
        assert (
            c.post(
                f"/kpis/{kpi.pk}/measurements/", {"measured_on": "2026-11-01", "value": "1"}
            ).status_code
            == 403
        )
        assert Goal.objects.filter(pk=goal.pk).exists()
        assert not Measurement.objects.exists()

    def test_edit_buttons_hidden_from_colleague(self, client, colleague, goal):
        response = _client(client, colleague).get(goal.department.get_absolute_url())
        assert b"Add a goal" not in response.content

    def test_admin_edits_any_goal(self, client, admin_user, goal):
        response = _client(client, admin_user).post(
            f"/goals/{goal.pk}/edit/",
            {
                "title": "Renamed by admin",
                "objective": "brand",
                "status": "active",
                "period_start": "2026-10-01",
                "period_end": "2026-12-31",
            },
        )
        assert response.status_code == 302
        goal.refresh_from_db()
        assert goal.title == "Renamed by admin"

    def test_only_admin_sees_organisation_settings(self, client, owner, admin_user):
        assert _client(client, owner).get("/settings/organisation/").status_code == 403
        client.logout()
        assert _client(client, admin_user).get("/settings/organisation/").status_code == 200


class TestForms:
    def test_goal_period_error_in_place(self, client, owner, marketing):
        response = _client(client, owner).post(
            f"/departments/{marketing.slug}/goals/new/",
            {
                "title": "Backwards",
                "objective": "brand",
                "status": "active",
                "period_start": "2026-12-31",
                "period_end": "2026-10-01",
            },
        )
        assert response.status_code == 200
        assert b"must end on or after its start" in response.content
        assert not Goal.objects.exists()

    def test_goal_create_then_kpi(self, client, owner, marketing):
        c = _client(client, owner)
        response = c.post(
            f"/departments/{marketing.slug}/goals/new/",
            {
                "title": "More followers",
                "objective": "brand",
                "status": "active",
                "period_start": "2026-10-01",
                "period_end": "2026-12-31",
                "owner": owner.pk,
            },
        )
        goal = Goal.objects.get(title="More followers")
        assert response["Location"] == reverse("departments:kpi_create", kwargs={"pk": goal.pk})
        response = c.post(
            f"/goals/{goal.pk}/kpis/new/",
            {"metric": "followers", "target": "abc", "cadence": "weekly"},
        )
        assert b"Enter a number" in response.content
        response = c.post(
            f"/goals/{goal.pk}/kpis/new/",
            {"metric": "followers", "target": "12000", "baseline": "10000", "cadence": "weekly"},
        )
        assert response.status_code == 302
        assert KPI.objects.get(goal=goal).unit == "count"
        assert AuditEvent.objects.filter(object_type="departments.kpi").count() == 1

    def test_inline_validation_returns_partial_without_saving(self, client, owner, marketing):
        response = _client(client, owner).post(
            f"/departments/{marketing.slug}/goals/new/?validate=1",
            {"title": "", "period_start": "2026-12-31", "period_end": "2026-10-01"},
            **HTMX,
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body
        assert 'id="goal-form"' in body
        assert "must end on or after its start" in body
        assert "This field is required" not in body  # not filled in yet: no nagging
        assert not Goal.objects.exists()

    def test_htmx_submit_redirects_with_header(self, client, owner, goal):
        response = _client(client, owner).post(
            f"/goals/{goal.pk}/kpis/new/",
            {
                "metric": "custom",
                "name": "Webinar sign-ups",
                "unit": "count",
                "target": "50",
                "cadence": "monthly",
            },
            **HTMX,
        )
        assert response.status_code == 204
        assert response["HX-Redirect"] == goal.get_absolute_url()

    def test_custom_kpi_needs_name(self, client, owner, goal):
        response = _client(client, owner).post(
            f"/goals/{goal.pk}/kpis/new/", {"metric": "custom", "target": "5", "cadence": "weekly"}
        )
        assert response.status_code == 200
        assert b"Name a custom KPI" in response.content
        assert not KPI.objects.exists()

    def test_measurement_duplicate_date_via_htmx(self, client, owner, kpi):
        c = _client(client, owner)
        data = {"measured_on": "2026-11-20", "value": "700", "note": "from the report"}
        assert c.post(f"/kpis/{kpi.pk}/measurements/", data, **HTMX).status_code == 204
        response = c.post(f"/kpis/{kpi.pk}/measurements/", data, **HTMX)
        assert response.status_code == 422
        assert b"already has a measurement on that date" in response.content
        assert "<html" not in response.content.decode()
        assert Measurement.objects.count() == 1

    def test_measurement_bad_value(self, client, owner, kpi):
        response = _client(client, owner).post(
            f"/kpis/{kpi.pk}/measurements/", {"measured_on": "yesterday", "value": "lots"}
        )
        assert response.status_code == 422
        assert b"Enter a valid date" in response.content
        assert b"Enter a number" in response.content

    def test_organisation_settings_errors(self, client, admin_user, organisation):
        response = _client(client, admin_user).post(
            "/settings/organisation/",
            {
                "name": "X",
                "type": "b2b",
                "time_zone": "Mars/Base",
                "currency": "euro",
                "hourly_staff_cost": "-1",
            },
        )
        assert response.status_code == 200
        for field in [b"time_zone", b"currency", b"hourly_staff_cost"]:
            assert b'id="field-' + field + b'"' in response.content
        assert response.content.count(b'class="errorlist"') >= 3


class TestMembers:
    def test_lead_adds_member_with_htmx(self, client, owner, marketing):
        newcomer = MembershipFactory().user
        response = _client(client, owner).post(
            f"/departments/{marketing.slug}/members/",
            {"user": newcomer.pk, "role": "viewer"},
            **HTMX,
        )
        assert response.status_code == 200
        assert newcomer.display_name.encode() in response.content
        assert Membership.objects.get(user=newcomer, department=marketing).role == "viewer"

    def test_unknown_role_is_an_error(self, client, owner, marketing):
        newcomer = MembershipFactory().user
        response = _client(client, owner).post(
            f"/departments/{marketing.slug}/members/", {"user": newcomer.pk, "role": "boss"}, **HTMX
        )
        assert response.status_code == 422
        assert b"Select a valid choice" in response.content

    def test_colleague_cannot_manage_members(self, client, colleague, marketing):
        newcomer = MembershipFactory().user
        response = _client(client, colleague).post(
            f"/departments/{marketing.slug}/members/", {"user": newcomer.pk, "role": "lead"}
        )
        assert response.status_code == 403

    def test_change_role_and_remove(self, client, owner, marketing):
        membership = MembershipFactory(department=marketing, role="viewer")
        c = _client(client, owner)
        c.post(f"/members/{membership.pk}/", {"role": "member", "is_representative": "on"}, **HTMX)
        membership.refresh_from_db()
        assert (membership.role, membership.is_representative) == ("member", True)
        c.post(f"/members/{membership.pk}/remove/", **HTMX)
        assert not Membership.objects.filter(pk=membership.pk).exists()


class TestSuggestions:
    def test_accept_a_suggestion(self, client, owner, marketing, organisation):
        c = _client(client, owner)
        page = c.get(f"/departments/{marketing.slug}/suggestions/")
        assert b"Grow our brand" in page.content
        key = "marketing-brand-reach"
        response = c.post(
            f"/departments/{marketing.slug}/suggestions/",
            {
                "key": key,
                f"{key}-title": "Grow our brand's reach on X",
                f"{key}-why": "Reach",
                f"{key}-period_start": "2026-10-01",
                f"{key}-period_end": "2026-12-31",
                f"{key}-kpi-0-include": "on",
                f"{key}-kpi-0-target": "15000",
                f"{key}-kpi-1-target": "250000",  # not ticked: left out
            },
        )
        assert response.status_code == 302
        goal = Goal.objects.get(department=marketing)
        assert [(k.metric, k.target) for k in goal.kpis.all()] == [("followers", 15000)]

    def test_bad_target_keeps_everything_out(self, client, owner, marketing, organisation):
        key = "marketing-brand-reach"
        response = _client(client, owner).post(
            f"/departments/{marketing.slug}/suggestions/",
            {
                "key": key,
                f"{key}-title": "Reach",
                f"{key}-period_start": "2026-10-01",
                f"{key}-period_end": "2026-12-31",
                f"{key}-kpi-0-include": "on",
                f"{key}-kpi-0-target": "lots",
            },
        )
        assert response.status_code == 422
        assert b"Enter a number" in response.content
        assert not Goal.objects.exists()

    def test_nonprofit_counts_donations(self, client, admin_user, organisation):
        from departments import services
        from departments.demo import DEPARTMENTS  # noqa: F401 — importable
        from departments.suggestions import suggestions_for

        services.organisation_update(actor=admin_user, type="nonprofit")
        organisation.refresh_from_db()
        sales = services.department_create(actor=admin_user, name="Fundraising", kind="sales")
        titles = [s.title for s in suggestions_for(department=sales, organisation=organisation)]
        assert any("donations" in t for t in titles)


class TestApiToken:
    def test_create_two(self, client, owner):
        from socialops.models import ApiToken

        c = _client(client, owner)
        assert b"No token yet" in c.get("/settings/api-token/").content
        new = {"name": "CRM", "scope__all": "read"}
        first = c.post("/settings/api-token/", new).context["issued"].key
        second = c.post("/settings/api-token/", new).context["issued"].key
        assert second != first
        assert ApiToken.objects.filter(user=owner).count() == 2
