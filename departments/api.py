"""REST API for the organisation, departments, memberships, goals, KPIs and measurements.

Input serializers only check the shape of a request. The services decide: they check the
caller's rights (departments.permissions), validate with full_clean() and write the audit
row, all in one transaction, so a refused or invalid request leaves nothing behind.
Output serializers answer with what was stored, read back through the selectors.

People are named by username (memberships, goal owners); departments by slug; goals,
KPIs and measurements by id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.helpers import forced_singular_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from departments import filters, selectors, services
from departments.models import KPI, Department, Goal, Measurement, Membership, Organisation
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer, GoalIdField
from metrics.registry import METRICS, Source, metric_choices, metric_get, unit_choices
from metrics.selectors import STATUS_LABELS, kpi_progress
from socialops import drf
from socialops.api import ServiceModelViewSet, Services, answers_with, router
from socialops.permissions import request_user
from socialops.serializers import UsernameField, UserSummarySerializer

DECIMAL = {"max_digits": 18, "decimal_places": 4}
_DECIMAL_FIELD = serializers.DecimalField(**DECIMAL)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else _DECIMAL_FIELD.to_representation(value)


# --- Related fields: choices come from the selectors, narrowed to the caller ------------
# Their querysets depend on the request, so the schema is told their types.


@extend_schema_field(OpenApiTypes.INT)
class KPIIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[KPI]:
        return selectors.kpi_list(user=request_user(self)).prefetch_related(None)


# --- Output serializers ---------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["name", "type", "time_zone", "currency", "hourly_staff_cost", "updated_at"]
        read_only_fields = fields


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    unit = serializers.ChoiceField(choices=unit_choices(), read_only=True)
    higher_is_better = serializers.BooleanField(read_only=True)
    source = serializers.ChoiceField(choices=[(s.value, s.value) for s in Source], read_only=True)
    description = serializers.CharField(read_only=True)


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "slug", "name", "kind", "purpose", "created_at", "updated_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "department",
            "user",
            "role",
            "is_representative",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class KPIProgressSerializer(serializers.Serializer):
    current = serializers.DecimalField(**DECIMAL, allow_null=True, read_only=True)
    measured_on = serializers.DateField(allow_null=True, read_only=True)
    previous = serializers.DecimalField(**DECIMAL, allow_null=True, read_only=True)
    change = serializers.DecimalField(**DECIMAL, allow_null=True, read_only=True)
    progress = serializers.FloatField(
        allow_null=True, read_only=True, help_text="0 at the baseline, 1 at the target."
    )
    percent = serializers.IntegerField(allow_null=True, read_only=True)
    expected = serializers.FloatField(
        read_only=True, help_text="Share of the goal's period that has passed (0 to 1)."
    )
    expected_percent = serializers.IntegerField(read_only=True)
    # A plain string, not an enum: an enum named "status" would collide with Goal.status
    # in the schema's enum naming.
    status = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(str(s) for s in STATUS_LABELS) + "."
    )
    status_label = serializers.CharField(read_only=True)


class KPISerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(source="goal.department", read_only=True)
    label = serializers.CharField(read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = KPI
        fields = [
            "id",
            "goal",
            "department",
            "metric",
            "name",
            "label",
            "unit",
            "target",
            "baseline",
            "direction",
            "cadence",
            "scope",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(KPIProgressSerializer)
    def get_progress(self, kpi: KPI) -> dict[str, Any]:
        today = self.context.get("today") or timezone.localdate()
        p = kpi_progress(kpi=kpi, today=today)
        # Built by hand: a nested serializer per KPI cost more than the rest of the row.
        return {
            "current": _decimal(p.current),
            "measured_on": p.measured_on.isoformat() if p.measured_on else None,
            "previous": _decimal(p.previous),
            "change": _decimal(p.change),
            "progress": p.progress,
            "percent": p.percent,
            "expected": p.expected,
            "expected_percent": p.expected_percent,
            "status": p.status.value,
            "status_label": p.status_label,
        }


class GoalSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    owner = UserSummarySerializer(read_only=True, allow_null=True)
    kpis = KPISerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "department",
            "objective",
            "title",
            "why",
            "owner",
            "period_start",
            "period_end",
            "status",
            "kpis",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeasurementSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(source="kpi.goal.department", read_only=True)
    recorded_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "kpi",
            "department",
            "value",
            "measured_on",
            "note",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- Input serializers ----------------------------------------------------------------
# Update serializers leave out what a service will not change (a goal's department, a
# KPI's goal); create serializers add it.


class DepartmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Department.Kind.choices)
    purpose = serializers.CharField(allow_blank=True, required=False)
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Made from the name when left out."
    )


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    is_representative = serializers.BooleanField(
        help_text="Represents the department at the weekly steering committee."
    )


class MembershipCreateSerializer(serializers.Serializer):
    department = DepartmentSlugField()
    user = UsernameField(help_text="The new member's username.")
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    is_representative = serializers.BooleanField(default=False)


class GoalUpdateSerializer(serializers.Serializer):
    objective = serializers.ChoiceField(choices=Goal.Objective.choices)
    title = serializers.CharField(max_length=200)
    why = serializers.CharField(allow_blank=True, required=False)
    owner = UsernameField(allow_null=True, required=False, help_text="The owner's username.")
    period_start = drf.DateField()
    period_end = drf.DateField(help_text="On or after period_start.")
    status = serializers.ChoiceField(choices=Goal.Status.choices, required=False)


class GoalCreateSerializer(GoalUpdateSerializer):
    department = DepartmentSlugField()


class KPIUpdateSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(
        choices=metric_choices(), help_text="A metric key from /api/v1/metrics/."
    )
    name = serializers.CharField(
        max_length=120,
        allow_blank=True,
        required=False,
        help_text="Defaults to the metric's label; required for the custom metric.",
    )
    unit = serializers.ChoiceField(
        choices=unit_choices(),
        allow_blank=True,
        required=False,
        help_text="Only for the custom metric; other metrics have the registry's unit.",
    )
    target = serializers.DecimalField(**DECIMAL)
    baseline = serializers.DecimalField(**DECIMAL, allow_null=True, required=False)
    direction = serializers.ChoiceField(
        choices=KPI.Direction.choices,
        required=False,
        help_text="Defaults to the metric's own direction.",
    )
    cadence = serializers.ChoiceField(choices=KPI.Cadence.choices, required=False)
    scope = serializers.ChoiceField(choices=KPI.Scope.choices, required=False)


class KPICreateSerializer(KPIUpdateSerializer):
    goal = GoalIdField(help_text="The goal's id.")


class MeasurementUpdateSerializer(serializers.Serializer):
    value = serializers.DecimalField(**DECIMAL)
    measured_on = drf.DateField(help_text="One measurement per KPI and day.")
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)


class MeasurementCreateSerializer(MeasurementUpdateSerializer):
    kpi = KPIIdField(help_text="The KPI's id.")


# --- Viewsets -------------------------------------------------------------------------


class OrganisationViewSet(viewsets.GenericViewSet):
    """The organisation this installation serves: one object, not a list."""

    serializer_class = OrganisationSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="organisation_retrieve",
        responses=forced_singular_serializer(OrganisationSerializer),
    )
    def list(self, request: Request) -> Response:
        return Response(OrganisationSerializer(selectors.organisation_get()).data)


class MetricViewSet(viewsets.GenericViewSet):
    """The metric registry: every key a KPI's `metric` may take."""

    serializer_class = MetricSerializer
    pagination_class = None
    filter_backends = []
    lookup_field = "key"

    def list(self, request: Request) -> Response:
        return Response(MetricSerializer(list(METRICS.values()), many=True).data)

    @extend_schema(parameters=[OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH)])
    def retrieve(self, request: Request, key: str) -> Response:
        metric = metric_get(key)
        if metric is None:
            raise Http404
        return Response(MetricSerializer(metric).data)


@extend_schema_view(**answers_with(DepartmentSerializer))
class DepartmentViewSet(ServiceModelViewSet):
    """Departments, by slug. Leads edit their own department; organisation admins add and
    remove departments."""

    lookup_field = "slug"
    output_serializer_class = DepartmentSerializer
    create_serializer_class = DepartmentInputSerializer
    update_serializer_class = DepartmentInputSerializer
    filterset_class = filters.DepartmentFilterSet

    use = Services(
        selector=selectors.department_list,
        create=services.department_create,
        update=services.department_update,
        delete=services.department_delete,
        instance="department",
    )


@extend_schema_view(**answers_with(MembershipSerializer))
class MembershipViewSet(ServiceModelViewSet):
    """Who belongs to which department, in which role; people are named by username.
    Leads manage their own department's members."""

    output_serializer_class = MembershipSerializer
    create_serializer_class = MembershipCreateSerializer
    update_serializer_class = MembershipUpdateSerializer
    filterset_class = filters.MembershipFilterSet

    use = Services(
        selector=selectors.membership_list,
        create=services.membership_create,
        update=services.membership_update,
        delete=services.membership_delete,
        instance="membership",
    )


@extend_schema_view(**answers_with(GoalSerializer))
class GoalViewSet(ServiceModelViewSet):
    """Goals with their KPIs and each KPI's progress. Every member reads every
    department's goals; leads and members edit their own department's."""

    output_serializer_class = GoalSerializer
    create_serializer_class = GoalCreateSerializer
    update_serializer_class = GoalUpdateSerializer
    filterset_class = filters.GoalFilterSet

    use = Services(
        selector=selectors.goal_list,
        create=services.goal_create,
        update=services.goal_update,
        delete=services.goal_delete,
        instance="goal",
    )


@extend_schema_view(**answers_with(KPISerializer))
class KPIViewSet(ServiceModelViewSet):
    """KPIs with their label, unit and progress; edited by whoever may edit their goal."""

    output_serializer_class = KPISerializer
    create_serializer_class = KPICreateSerializer
    update_serializer_class = KPIUpdateSerializer
    filterset_class = filters.KPIFilterSet

    use = Services(
        selector=selectors.kpi_list,
        create=services.kpi_create,
        update=services.kpi_update,
        delete=services.kpi_delete,
        instance="kpi",
    )


@extend_schema_view(**answers_with(MeasurementSerializer))
class MeasurementViewSet(ServiceModelViewSet):
    """Values of a KPI's metric entered by hand, at most one per KPI and day; edited by
    whoever may edit the KPI's goal."""

    output_serializer_class = MeasurementSerializer
    create_serializer_class = MeasurementCreateSerializer
    update_serializer_class = MeasurementUpdateSerializer
    filterset_class = filters.MeasurementFilterSet

    use = Services(
        selector=selectors.measurement_list,
        create=services.measurement_create,
        update=services.measurement_update,
        delete=services.measurement_delete,
        instance="measurement",
    )


router.register("organisation", OrganisationViewSet, basename="organisation")
router.register("departments", DepartmentViewSet, basename="department")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("goals", GoalViewSet, basename="goal")
router.register("kpis", KPIViewSet, basename="kpi")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("metrics", MetricViewSet, basename="metric")
