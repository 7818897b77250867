"""REST API for what metrics answers: the metric registry, and goals and KPIs with each
KPI's progress, pace and status.

Goals and KPIs are departments' models, written through departments' services (which check
rights, validate and audit in one transaction); they are served here because their answers
carry progress, and departments sits below metrics.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
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
from departments.models import KPI, Goal
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer, GoalIdField
from metrics.registry import METRICS, Source, metric_choices, metric_get, unit_choices
from metrics.selectors import STATUS_LABELS, kpi_progress
from socialops import drf
from socialops.api import ServiceModelViewSet, Services, answers_with, router
from socialops.serializers import UsernameField, UserSummarySerializer

DECIMAL = {"max_digits": 18, "decimal_places": 4}  # as KPI.target and Measurement.value
_DECIMAL_FIELD = serializers.DecimalField(**DECIMAL)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else _DECIMAL_FIELD.to_representation(value)


# --- Output serializers ---------------------------------------------------------------


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    unit = serializers.ChoiceField(choices=unit_choices(), read_only=True)
    higher_is_better = serializers.BooleanField(read_only=True)
    source = serializers.ChoiceField(choices=[(s.value, s.value) for s in Source], read_only=True)
    description = serializers.CharField(read_only=True)


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


# --- Input serializers ----------------------------------------------------------------
# Update serializers leave out what a service will not change (a KPI's goal); create
# serializers add it.


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


# --- Viewsets -------------------------------------------------------------------------


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


router.register("goals", GoalViewSet, basename="goal")
router.register("kpis", KPIViewSet, basename="kpi")
router.register("metrics", MetricViewSet, basename="metric")
