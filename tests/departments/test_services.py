from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from departments import services
from departments.models import KPI, Goal, Measurement, Membership
from socialops.models import AuditEvent
from tests.factories import GoalFactory, KPIFactory, MeasurementFactory, MembershipFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 22)


def _goal_fields(**overrides):
    fields = {
        "objective": Goal.Objective.BRAND,
        "title": "Grow our reach",
        "period_start": TODAY,
        "period_end": TODAY + dt.timedelta(days=90),
    }
    return fields | overrides


class TestGoals:
    def test_lead_creates_goal_and_audit_row(self, owner, marketing):
        goal = services.goal_create(actor=owner, department=marketing, **_goal_fields())
        event = AuditEvent.objects.get(object_type="departments.goal", object_id=str(goal.pk))
        assert event.actor == owner
        assert event.action == "create"
        assert event.department == marketing
        assert event.changes["title"] == "Grow our reach"

    def test_member_may_edit_viewer_may_not(self, marketing):
        member = MembershipFactory(department=marketing, role=Membership.Role.MEMBER).user
        viewer = MembershipFactory(department=marketing, role=Membership.Role.VIEWER).user
        services.goal_create(actor=member, department=marketing, **_goal_fields())
        with pytest.raises(PermissionDenied):
            services.goal_create(actor=viewer, department=marketing, **_goal_fields())

    def test_colleague_of_other_department_may_not(self, colleague, marketing):
        with pytest.raises(PermissionDenied):
            services.goal_create(actor=colleague, department=marketing, **_goal_fields())
        assert not Goal.objects.exists()

    def test_admin_may_edit_any_department(self, admin_user, marketing):
        goal = services.goal_create(actor=admin_user, department=marketing, **_goal_fields())
        assert goal.department == marketing

    def test_period_end_before_start_is_a_field_error(self, owner, marketing):
        with pytest.raises(ValidationError) as exc:
            services.goal_create(
                actor=owner,
                department=marketing,
                **_goal_fields(period_end=TODAY - dt.timedelta(days=1)),
            )
        assert "period_end" in exc.value.message_dict
        assert not Goal.objects.exists()

    def test_update_records_only_what_changed(self, owner, marketing):
        goal = GoalFactory(department=marketing, title="Old")
        services.goal_update(actor=owner, goal=goal, title="New")
        event = AuditEvent.objects.get(action="update")
        assert event.changes == {"title": ["Old", "New"]}

    def test_update_with_stale_object_audits_database_state(self, owner, marketing):
        """A form may already have changed the object it was given; the audit must still
        compare with what the database held."""
        goal = GoalFactory(department=marketing, title="Old")
        goal.title = "Changed by a form"
        services.goal_update(actor=owner, goal=goal, title="Changed by a form")
        assert AuditEvent.objects.get(action="update").changes == {
            "title": ["Old", "Changed by a form"]
        }

    def test_unknown_field_is_refused(self, owner, marketing):
        goal = GoalFactory(department=marketing)
        with pytest.raises(TypeError):
            services.goal_update(actor=owner, goal=goal, department=None)

    def test_delete_is_audited(self, owner, marketing):
        goal = GoalFactory(department=marketing, title="Doomed")
        services.goal_delete(actor=owner, goal=goal)
        event = AuditEvent.objects.get(action="delete")
        assert event.object_repr == "Doomed"
        assert event.changes["title"] == "Doomed"


class TestKPIs:
    def test_unit_comes_from_registry(self, owner, marketing):
        goal = GoalFactory(department=marketing)
        kpi = services.kpi_create(
            actor=owner, goal=goal, metric="conversion_rate", target=Decimal("3"), unit="hours"
        )
        assert kpi.unit == "percent"
        assert kpi.direction == KPI.Direction.ABOVE  # a ratio, not a total

    def test_lower_is_better_metric_defaults_direction(self, owner, marketing):
        goal = GoalFactory(department=marketing)
        kpi = services.kpi_create(
            actor=owner, goal=goal, metric="median_first_response_minutes", target=Decimal(30)
        )
        assert kpi.direction == KPI.Direction.BELOW

    def test_unknown_metric(self, owner, marketing):
        goal = GoalFactory(department=marketing)
        with pytest.raises(ValidationError) as exc:
            services.kpi_create(actor=owner, goal=goal, metric="vibes", target=Decimal(1))
        assert "metric" in exc.value.message_dict

    def test_custom_metric_needs_a_name(self, owner, marketing):
        goal = GoalFactory(department=marketing)
        with pytest.raises(ValidationError) as exc:
            services.kpi_create(actor=owner, goal=goal, metric="custom", target=Decimal(1))
        assert "name" in exc.value.message_dict
        kpi = services.kpi_create(
            actor=owner,
            goal=goal,
            metric="custom",
            target=Decimal(5),
            name="Webinars",
            unit="count",
        )
        assert kpi.label == "Webinars"

    def test_colleague_cannot_add_kpi(self, colleague, marketing):
        goal = GoalFactory(department=marketing)
        with pytest.raises(PermissionDenied):
            services.kpi_create(actor=colleague, goal=goal, metric="followers", target=Decimal(1))

    def test_goal_with_kpis_is_all_or_nothing(self, owner, marketing):
        with pytest.raises(ValidationError):
            services.goal_create_with_kpis(
                actor=owner,
                department=marketing,
                kpis=[
                    {"metric": "followers", "target": Decimal(100)},
                    {"metric": "nonsense", "target": Decimal(1)},
                ],
                **_goal_fields(),
            )
        assert not Goal.objects.exists()
        assert not KPI.objects.exists()


class TestMeasurements:
    def test_record_and_one_per_day(self, owner, marketing):
        kpi = KPIFactory(goal=GoalFactory(department=marketing))
        measurement = services.measurement_create(
            actor=owner, kpi=kpi, value=Decimal(10), measured_on=TODAY
        )
        assert measurement.recorded_by == owner
        with pytest.raises(ValidationError):
            services.measurement_create(actor=owner, kpi=kpi, value=Decimal(11), measured_on=TODAY)
        assert Measurement.objects.count() == 1

    def test_colleague_and_admin(self, colleague, admin_user, marketing):
        kpi = KPIFactory(goal=GoalFactory(department=marketing))
        with pytest.raises(PermissionDenied):
            services.measurement_create(
                actor=colleague, kpi=kpi, value=Decimal(1), measured_on=TODAY
            )
        services.measurement_create(actor=admin_user, kpi=kpi, value=Decimal(1), measured_on=TODAY)

    def test_delete(self, owner, marketing):
        measurement = MeasurementFactory(kpi=KPIFactory(goal=GoalFactory(department=marketing)))
        services.measurement_delete(actor=owner, measurement=measurement)
        assert not Measurement.objects.exists()


class TestMembershipsAndDepartments:
    def test_lead_adds_member_member_cannot(self, owner, marketing):
        newcomer = MembershipFactory(department=marketing, role="member").user
        other = MembershipFactory().user
        services.membership_create(actor=owner, department=marketing, user=other, role="viewer")
        third = MembershipFactory().user
        with pytest.raises(PermissionDenied):
            services.membership_create(actor=newcomer, department=marketing, user=third)

    def test_unknown_role(self, owner, marketing):
        other = MembershipFactory().user
        with pytest.raises(ValidationError) as exc:
            services.membership_create(actor=owner, department=marketing, user=other, role="boss")
        assert "role" in exc.value.message_dict

    def test_a_user_is_in_a_department_once(self, owner, marketing):
        with pytest.raises(ValidationError):
            services.membership_create(actor=owner, department=marketing, user=owner)

    def test_only_admins_create_departments(self, owner, admin_user):
        with pytest.raises(PermissionDenied):
            services.department_create(actor=owner, name="Events", kind="other")
        department = services.department_create(
            actor=admin_user, name="Events & Fairs", kind="other"
        )
        assert department.slug == "events-fairs"
        again = services.department_create(actor=admin_user, name="Events Fairs", kind="other")
        assert again.slug == "events-fairs-2"

    def test_organisation_update_validates(self, admin_user, owner, organisation):
        with pytest.raises(PermissionDenied):
            services.organisation_update(actor=owner, name="Nope")
        with pytest.raises(ValidationError) as exc:
            services.organisation_update(actor=admin_user, time_zone="Mars/Olympus", currency="eur")
        assert set(exc.value.message_dict) == {"time_zone", "currency"}
        services.organisation_update(actor=admin_user, time_zone="Europe/Madrid")
        organisation.refresh_from_db()
        assert organisation.time_zone == "Europe/Madrid"
