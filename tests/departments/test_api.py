"""The REST API under /api/v1/: CRUD through the services, the same permission rules as
the pages, field errors for bad input, filters, pagination and constant query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from departments.models import KPI, Department, Goal, Measurement, Membership
from socialops.models import AuditEvent
from socialops.tokens import api_token_create
from tests.factories import (
    PASSWORD,
    GoalFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def goal(marketing):
    return GoalFactory(department=marketing, title="Grow our audience")


@pytest.fixture
def kpi(goal):
    # Typed in by hand: a custom metric's measurements are its actual.
    return KPIFactory(goal=goal, metric="custom", name="Webinar sign-ups", target=Decimal("1000"))


@pytest.fixture
def measurement(kpi):
    return MeasurementFactory(kpi=kpi, value=Decimal("400"), measured_on=TODAY)


@pytest.fixture
def viewer(marketing):
    return MembershipFactory(department=marketing, role="viewer").user


def goal_payload(**overrides):
    return {
        "department": "marketing",
        "objective": "brand",
        "title": "Be known for good support",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        **overrides,
    }


def audit_rows(instance, action):
    return AuditEvent.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk), action=action
    )


# --- Authentication -------------------------------------------------------------------


def test_anonymous_is_refused(marketing):
    response = APIClient().get("/api/v1/departments/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_token_holder_is_served(owner, marketing):
    key = api_token_create(user=owner).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get("/api/v1/departments/")

    assert response.status_code == 200
    assert [d["slug"] for d in response.json()["results"]] == ["marketing"]


def test_a_wrong_token_is_refused(marketing):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/departments/")

    assert response.status_code == 401
    assert response.json()["detail"].startswith("Unknown API token")


def test_signed_in_session_is_served(owner, marketing):
    client = APIClient()
    assert client.login(username=owner.username, password=PASSWORD)

    assert client.get("/api/v1/departments/marketing/").status_code == 200


# --- Organisation and metrics ---------------------------------------------------------


def test_organisation_is_one_object(owner, organisation):
    response = client_for(owner).get("/api/v1/organisation/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == organisation.name
    assert body["currency"] == "EUR"
    assert "results" not in body


def test_organisation_is_read_only(admin_user, organisation):
    response = client_for(admin_user).post("/api/v1/organisation/", {"name": "X"})

    assert response.status_code == 405


def test_metrics_list_the_registry(owner):
    response = client_for(owner).get("/api/v1/metrics/")

    assert response.status_code == 200
    by_key = {m["key"]: m for m in response.json()}
    assert by_key["followers"] == {
        "key": "followers",
        "label": "Followers",
        "unit": "count",
        "higher_is_better": True,
        "source": "x",
        "description": by_key["followers"]["description"],
        "measured": True,
    }
    assert by_key["median_first_response_minutes"]["higher_is_better"] is False
    assert "custom" in by_key


def test_metric_by_key(owner):
    client = client_for(owner)

    assert client.get("/api/v1/metrics/roi/").json()["unit"] == "percent"
    assert client.get("/api/v1/metrics/nope/").status_code == 404


# --- Departments ----------------------------------------------------------------------


def test_department_by_slug(owner, marketing):
    response = client_for(owner).get("/api/v1/departments/marketing/")

    assert response.status_code == 200
    assert response.json()["name"] == "Marketing"
    assert response.json()["kind"] == "marketing"


def test_admin_creates_updates_and_deletes_a_department(admin_user):
    client = client_for(admin_user)

    created = client.post("/api/v1/departments/", {"name": "Customer care", "kind": "other"})
    assert created.status_code == 201, created.json()
    assert created.json()["slug"] == "customer-care"
    department = Department.objects.get(slug="customer-care")
    assert audit_rows(department, "create").filter(actor=admin_user).exists()

    updated = client.patch("/api/v1/departments/customer-care/", {"purpose": "Answer fast."})
    assert updated.status_code == 200
    assert updated.json()["purpose"] == "Answer fast."
    assert audit_rows(department, "update").exists()

    deleted = client.delete("/api/v1/departments/customer-care/")
    assert deleted.status_code == 204
    assert not Department.objects.filter(slug="customer-care").exists()
    assert audit_rows(department, "delete").exists()


def test_a_lead_edits_their_department_but_not_anothers(owner, marketing, sales):
    client = client_for(owner)

    assert client.patch("/api/v1/departments/marketing/", {"purpose": "Ours."}).status_code == 200
    assert client.patch("/api/v1/departments/sales/", {"purpose": "Theirs."}).status_code == 403
    sales.refresh_from_db()
    assert sales.purpose != "Theirs."


def test_only_admins_add_or_remove_departments(owner, marketing):
    client = client_for(owner)

    response = client.post("/api/v1/departments/", {"name": "Legal", "kind": "legal"})
    assert response.status_code == 403
    assert client.delete("/api/v1/departments/marketing/").status_code == 403
    assert not Department.objects.filter(name="Legal").exists()
    assert Department.objects.filter(slug="marketing").exists()


def test_duplicate_department_name_is_a_field_error(admin_user, marketing):
    response = client_for(admin_user).post(
        "/api/v1/departments/", {"name": "Marketing", "kind": "marketing", "slug": "marketing-2"}
    )

    assert response.status_code == 400
    assert "name" in response.json()


# --- Memberships ----------------------------------------------------------------------


def test_a_lead_adds_a_member_by_username(owner, marketing):
    newcomer = UserFactory(username="newcomer")

    response = client_for(owner).post(
        "/api/v1/memberships/",
        {"department": "marketing", "user": "newcomer", "role": "member"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["username"] == "newcomer"
    assert body["department"] == {"id": marketing.pk, "slug": "marketing", "name": "Marketing"}
    assert body["role"] == "member"
    membership = Membership.objects.get(user=newcomer, department=marketing)
    assert audit_rows(membership, "create").filter(actor=owner).exists()


def test_an_unknown_role_is_a_field_error(owner, marketing):
    UserFactory(username="newcomer")

    response = client_for(owner).post(
        "/api/v1/memberships/",
        {"department": "marketing", "user": "newcomer", "role": "overlord"},
    )

    assert response.status_code == 400
    assert "role" in response.json()
    assert not Membership.objects.filter(user__username="newcomer").exists()


def test_an_unknown_user_or_department_is_a_field_error(owner, marketing):
    response = client_for(owner).post(
        "/api/v1/memberships/", {"department": "nowhere", "user": "nobody", "role": "member"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"department", "user"}


def test_a_person_is_member_of_a_department_once(owner, marketing):
    response = client_for(owner).post(
        "/api/v1/memberships/", {"department": "marketing", "user": owner.username}
    )

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_lead_of_another_department_cannot_add_members(colleague, marketing):
    UserFactory(username="newcomer")

    response = client_for(colleague).post(
        "/api/v1/memberships/", {"department": "marketing", "user": "newcomer"}
    )

    assert response.status_code == 403
    assert not Membership.objects.filter(user__username="newcomer").exists()


def test_a_lead_changes_and_removes_a_membership(owner, marketing, viewer):
    client = client_for(owner)
    membership = Membership.objects.get(user=viewer)

    changed = client.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "member"})
    assert changed.status_code == 200
    assert changed.json()["role"] == "member"

    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_membership_filters(owner, colleague, marketing, sales, viewer):
    client = client_for(owner)

    def usernames(query):
        response = client.get(f"/api/v1/memberships/?{query}")
        assert response.status_code == 200, response.json()
        return {m["user"]["username"] for m in response.json()["results"]}

    assert usernames("department=marketing") == {owner.username, viewer.username}
    assert usernames("department=sales") == {colleague.username}
    assert usernames("role=viewer") == {viewer.username}
    assert usernames(f"user={colleague.username}") == {colleague.username}
    assert client.get("/api/v1/memberships/?department=nowhere").status_code == 400


# --- Goals ----------------------------------------------------------------------------


def test_a_member_creates_a_goal(owner, marketing):
    response = client_for(owner).post(
        "/api/v1/goals/", goal_payload(owner=owner.username, why="People ask us.")
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["department"]["slug"] == "marketing"
    assert body["owner"]["username"] == owner.username
    assert body["status"] == "active"
    assert body["kpis"] == []
    goal = Goal.objects.get(pk=body["id"])
    assert goal.title == "Be known for good support"
    assert audit_rows(goal, "create").filter(actor=owner, department=marketing).exists()


def test_goal_output_nests_kpis_with_progress(owner, goal, kpi, measurement):
    response = client_for(owner).get(f"/api/v1/goals/{goal.pk}/")

    assert response.status_code == 200
    [kpi_body] = response.json()["kpis"]
    assert kpi_body["label"] == "Webinar sign-ups"
    assert kpi_body["unit"] == "count"
    assert kpi_body["progress"]["actual"] == "400.0000"
    assert kpi_body["progress"]["source"] == "hand"
    assert kpi_body["progress"]["rag"] in {"green", "amber", "red"}
    assert kpi_body["progress"]["percent_of_target"] == 40


def test_a_period_that_ends_before_it_starts_is_a_field_error(owner, marketing):
    response = client_for(owner).post(
        "/api/v1/goals/", goal_payload(period_start="2025-03-01", period_end="2025-02-01")
    )

    assert response.status_code == 400
    assert "period_end" in response.json()
    assert not Goal.objects.exists()
    assert not AuditEvent.objects.exists()


def test_goal_field_errors(owner, marketing):
    response = client_for(owner).post(
        "/api/v1/goals/",
        goal_payload(department="nowhere", objective="world-peace", period_start="soon"),
    )

    assert response.status_code == 400
    assert {"department", "objective", "period_start"} <= set(response.json())


def test_a_viewer_cannot_create_a_goal_in_their_own_department(viewer, marketing):
    response = client_for(viewer).post("/api/v1/goals/", goal_payload())

    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_a_lead_of_another_department_cannot_create_a_goal_here(colleague, marketing):
    assert client_for(colleague).post("/api/v1/goals/", goal_payload()).status_code == 403
    assert not Goal.objects.exists()


def test_a_goal_is_updated_in_full_and_in_part(owner, goal):
    client = client_for(owner)

    put = client.put(
        f"/api/v1/goals/{goal.pk}/",
        {
            "objective": "sales",
            "title": "Sell through X",
            "period_start": "2025-01-01",
            "period_end": "2025-06-30",
        },
    )
    assert put.status_code == 200, put.json()
    assert put.json()["objective"] == "sales"

    patch = client.patch(f"/api/v1/goals/{goal.pk}/", {"status": "achieved"})
    assert patch.status_code == 200
    assert patch.json()["status"] == "achieved"
    assert patch.json()["title"] == "Sell through X"
    assert audit_rows(goal, "update").filter(actor=owner).count() == 2


def test_a_goal_update_keeps_the_period_valid(owner, goal):
    response = client_for(owner).patch(f"/api/v1/goals/{goal.pk}/", {"period_end": "2000-01-01"})

    assert response.status_code == 400
    assert "period_end" in response.json()
    goal.refresh_from_db()
    assert goal.period_end > dt.date(2000, 1, 1)


def test_a_goal_is_deleted_with_an_audit_row(owner, goal):
    response = client_for(owner).delete(f"/api/v1/goals/{goal.pk}/")

    assert response.status_code == 204
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert audit_rows(goal, "delete").filter(actor=owner).exists()


def test_goal_filters(owner, marketing, sales):
    this_quarter = GoalFactory(
        department=marketing,
        objective="brand",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 3, 31),
    )
    next_quarter = GoalFactory(
        department=marketing,
        objective="sales",
        status="draft",
        period_start=dt.date(2025, 4, 1),
        period_end=dt.date(2025, 6, 30),
    )
    theirs = GoalFactory(
        department=sales, period_start=dt.date(2025, 2, 1), period_end=dt.date(2025, 2, 28)
    )
    client = client_for(owner)

    def ids(query):
        response = client.get(f"/api/v1/goals/?{query}")
        assert response.status_code == 200, response.json()
        return {g["id"] for g in response.json()["results"]}

    assert ids("department=marketing") == {this_quarter.pk, next_quarter.pk}
    assert ids("department=sales") == {theirs.pk}
    assert ids("objective=sales") == {next_quarter.pk}
    assert ids("status=draft") == {next_quarter.pk}
    assert ids("period_after=2025-03-15&period_before=2025-04-15") == {
        this_quarter.pk,
        next_quarter.pk,
    }
    assert ids("period_after=2025-05-01") == {next_quarter.pk}
    assert ids("period_before=2025-01-31") == {this_quarter.pk}


def test_goals_list_query_count_does_not_grow_with_goals(
    owner, marketing, sales, django_assert_max_num_queries
):
    def make_goals(n):
        for i in range(n):
            goal = GoalFactory(department=marketing if i % 2 else sales)
            for metric in ("followers", "mentions"):
                kpi = KPIFactory(goal=goal, metric=metric)
                MeasurementFactory(kpi=kpi, measured_on=TODAY - dt.timedelta(days=1))
                MeasurementFactory(kpi=kpi, measured_on=TODAY)

    client = client_for(owner)
    client.get("/api/v1/goals/")  # the first request of all creates the organisation row
    make_goals(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/goals/").status_code == 200

    make_goals(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/goals/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


# --- KPIs -----------------------------------------------------------------------------


def test_a_member_adds_a_kpi(owner, goal):
    response = client_for(owner).post(
        "/api/v1/kpis/",
        {"goal": goal.pk, "metric": "median_first_response_minutes", "target": "30"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["label"] == "Median first-response time"
    assert body["unit"] == "minutes"
    assert body["direction"] == "below"  # the metric's own direction
    assert body["department"]["slug"] == "marketing"
    assert body["progress"]["rag"] == "no_data"
    # Measured from the inbox's rollup: nothing answered yet is "no data yet", not 0.
    assert body["progress"]["source"] == "data"
    assert body["progress"]["actual"] is None
    kpi = KPI.objects.get(pk=body["id"])
    assert audit_rows(kpi, "create").filter(actor=owner).exists()


def test_a_custom_kpi_is_named(owner, goal):
    response = client_for(owner).post(
        "/api/v1/kpis/",
        {"goal": goal.pk, "metric": "custom", "name": "Webinar sign-ups", "target": "200"},
    )

    assert response.status_code == 201, response.json()
    assert response.json()["label"] == "Webinar sign-ups"
    assert response.json()["unit"] == "count"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"metric": "followers", "target": "lots"}, "target"),
        ({"metric": "followers"}, "target"),
        ({"metric": "vibes", "target": "10"}, "metric"),
        ({"metric": "custom", "target": "10"}, "name"),
        ({"metric": "followers", "target": "10", "baseline": "10"}, "target"),
        ({"metric": "followers", "target": "10", "direction": "sideways"}, "direction"),
    ],
)
def test_kpi_field_errors(owner, goal, payload, field):
    response = client_for(owner).post("/api/v1/kpis/", {"goal": goal.pk, **payload})

    assert response.status_code == 400
    assert field in response.json()
    assert not KPI.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_kpi_for_an_unknown_goal_is_a_field_error(owner, marketing):
    response = client_for(owner).post(
        "/api/v1/kpis/", {"goal": 999999, "metric": "followers", "target": "10"}
    )

    assert response.status_code == 400
    assert "goal" in response.json()


def test_kpi_progress_follows_measurements(owner, kpi):
    client = client_for(owner)
    MeasurementFactory(kpi=kpi, value=Decimal("1200"), measured_on=TODAY)

    progress = client.get(f"/api/v1/kpis/{kpi.pk}/").json()["progress"]

    assert progress["rag"] == "green"
    assert progress["rag_label"] == "Green"
    assert progress["actual"] == "1200.0000"
    assert progress["percent_of_target"] == 120


def test_kpi_filters(owner, goal, kpi, sales):
    other_goal_kpi = KPIFactory(goal=GoalFactory(department=goal.department), metric="mentions")
    sales_kpi = KPIFactory(goal=GoalFactory(department=sales), metric="followers")
    client = client_for(owner)

    def ids(query):
        response = client.get(f"/api/v1/kpis/?{query}")
        assert response.status_code == 200, response.json()
        return {k["id"] for k in response.json()["results"]}

    assert ids(f"goal={goal.pk}") == {kpi.pk}
    assert ids("department=marketing") == {kpi.pk, other_goal_kpi.pk}
    assert ids("department=sales") == {sales_kpi.pk}
    assert ids("metric=followers") == {sales_kpi.pk}
    assert client.get("/api/v1/kpis/?metric=vibes").status_code == 400


# --- Measurements ---------------------------------------------------------------------


def test_a_member_records_a_measurement(owner, kpi):
    response = client_for(owner).post(
        "/api/v1/measurements/",
        {"kpi": kpi.pk, "value": "512.5", "measured_on": str(TODAY), "note": "From X."},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["value"] == "512.5000"
    assert body["recorded_by"]["username"] == owner.username
    assert body["department"]["slug"] == "marketing"
    measurement = Measurement.objects.get(pk=body["id"])
    assert audit_rows(measurement, "create").filter(actor=owner).exists()


def test_a_second_measurement_on_the_same_day_is_refused(owner, measurement):
    response = client_for(owner).post(
        "/api/v1/measurements/",
        {"kpi": measurement.kpi_id, "value": "600", "measured_on": str(measurement.measured_on)},
    )

    assert response.status_code == 400
    assert response.json() == {"measured_on": ["This KPI already has a measurement on that date."]}
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"value": "a lot", "measured_on": "2025-01-01"}, "value"),
        ({"value": "10", "measured_on": "yesterday"}, "measured_on"),
        ({"value": "10"}, "measured_on"),
    ],
)
def test_measurement_field_errors(owner, kpi, payload, field):
    response = client_for(owner).post("/api/v1/measurements/", {"kpi": kpi.pk, **payload})

    assert response.status_code == 400
    assert field in response.json()
    assert not Measurement.objects.exists()


def test_measurement_filters(owner, kpi):
    other_kpi = KPIFactory(goal=kpi.goal, metric="mentions")
    early = MeasurementFactory(kpi=kpi, measured_on=dt.date(2025, 1, 5))
    middle = MeasurementFactory(kpi=kpi, measured_on=dt.date(2025, 1, 15))
    late = MeasurementFactory(kpi=kpi, measured_on=dt.date(2025, 1, 25))
    MeasurementFactory(kpi=other_kpi, measured_on=dt.date(2025, 1, 15))
    client = client_for(owner)

    def ids(query):
        response = client.get(f"/api/v1/measurements/?{query}")
        assert response.status_code == 200, response.json()
        return {m["id"] for m in response.json()["results"]}

    assert ids(f"kpi={kpi.pk}") == {early.pk, middle.pk, late.pk}
    assert ids(f"kpi={kpi.pk}&measured_on_after=2025-01-10&measured_on_before=2025-01-25") == {
        middle.pk,
        late.pk,
    }
    assert ids(f"kpi={kpi.pk}&measured_on_before=2025-01-05") == {early.pk}


def test_measurement_date_filter_keeps_its_dates_east_of_utc(owner, kpi, organisation):
    # Madrid is UTC+1: local midnight of the 10th is the 9th in UTC, which once let a
    # measurement of the 9th into a range that starts on the 10th.
    organisation.time_zone = "Europe/Madrid"
    organisation.save()
    before = MeasurementFactory(kpi=kpi, measured_on=dt.date(2025, 1, 9))
    first = MeasurementFactory(kpi=kpi, measured_on=dt.date(2025, 1, 10))
    last = MeasurementFactory(kpi=kpi, measured_on=dt.date(2025, 1, 11))
    response = client_for(owner).get(
        f"/api/v1/measurements/?kpi={kpi.pk}&measured_on_after=2025-01-10"
        "&measured_on_before=2025-01-11"
    )
    assert response.status_code == 200
    assert {m["id"] for m in response.json()["results"]} == {first.pk, last.pk}
    assert before.pk not in {m["id"] for m in response.json()["results"]}


# --- The permission matrix: owner, colleague in another department, admin -------------


EDITS = {
    "goal": ("/api/v1/goals/{pk}/", {"title": "Renamed"}, "title", "Renamed"),
    "kpi": ("/api/v1/kpis/{pk}/", {"target": "2000"}, "target", Decimal("2000")),
    "measurement": ("/api/v1/measurements/{pk}/", {"value": "450"}, "value", Decimal("450")),
}


@pytest.mark.parametrize("kind", EDITS)
@pytest.mark.parametrize(
    ("who", "allowed"), [("owner", True), ("colleague", False), ("admin_user", True)]
)
def test_who_may_edit_marketings_goals_kpis_and_measurements(
    request, measurement, kind, who, allowed
):
    instance = {"goal": measurement.kpi.goal, "kpi": measurement.kpi, "measurement": measurement}[
        kind
    ]
    url, payload, field, expected = EDITS[kind]
    client = client_for(request.getfixturevalue(who))
    before = getattr(instance, field)

    # Everyone signed in reads every department's goals.
    assert client.get(url.format(pk=instance.pk)).status_code == 200
    response = client.patch(url.format(pk=instance.pk), payload)

    instance.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.json()
        assert getattr(instance, field) == expected
        assert audit_rows(instance, "update").exists()
    else:
        assert response.status_code == 403
        assert getattr(instance, field) == before
        assert not audit_rows(instance, "update").exists()


@pytest.mark.parametrize("kind", EDITS)
@pytest.mark.parametrize(
    ("who", "allowed"), [("owner", True), ("colleague", False), ("admin_user", True)]
)
def test_who_may_delete_marketings_goals_kpis_and_measurements(
    request, measurement, kind, who, allowed
):
    instance = {"goal": measurement.kpi.goal, "kpi": measurement.kpi, "measurement": measurement}[
        kind
    ]
    url = EDITS[kind][0]
    client = client_for(request.getfixturevalue(who))

    response = client.delete(url.format(pk=instance.pk))

    exists = type(instance).objects.filter(pk=instance.pk).exists()
    if allowed:
        assert response.status_code == 204
        assert not exists
        assert audit_rows(instance, "delete").exists()
    else:
        assert response.status_code == 403
        assert exists


def test_a_colleague_cannot_add_kpis_or_measurements_to_marketing(colleague, kpi):
    client = client_for(colleague)

    kpi_response = client.post(
        "/api/v1/kpis/", {"goal": kpi.goal_id, "metric": "mentions", "target": "10"}
    )
    measurement_response = client.post(
        "/api/v1/measurements/", {"kpi": kpi.pk, "value": "10", "measured_on": str(TODAY)}
    )

    assert kpi_response.status_code == 403
    assert measurement_response.status_code == 403
    assert KPI.objects.count() == 1
    assert not Measurement.objects.exists()


def test_admin_creates_goals_in_any_department(admin_user, sales):
    response = client_for(admin_user).post("/api/v1/goals/", goal_payload(department="sales"))

    assert response.status_code == 201
    assert response.json()["department"]["slug"] == "sales"


# --- Pagination -----------------------------------------------------------------------


def test_cursor_pagination_pages_through_every_goal(owner, marketing):
    goals = GoalFactory.create_batch(5, department=marketing)
    client = client_for(owner)

    first = client.get("/api/v1/goals/?page_size=2").json()
    assert first["previous"] is None
    assert first["next"]
    seen = [g["id"] for g in first["results"]]
    next_url = first["next"]
    while next_url:
        page = client.get(next_url).json()
        seen += [g["id"] for g in page["results"]]
        next_url = page["next"]

    assert seen == sorted(g.pk for g in goals)
