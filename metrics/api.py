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

from campaigns.serializers import CampaignIdField
from departments import filters, selectors, services
from departments.models import KPI, Goal
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer, GoalIdField
from listening.serializers import AccountIdField
from metrics.measure import is_computed
from metrics.registry import METRICS, Metric, metric_choices, metric_get, unit_choices
from metrics.registry import Source as MetricSource
from metrics.selectors import RAG_LABELS, KPIProgress, Rag, Source, kpi_progress, kpi_progress_many
from socialops import drf
from socialops.api import ChangeFeedMixin, ServiceModelViewSet, Services, answers_with, router
from socialops.drf import single_query_values
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
    source = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in MetricSource], read_only=True
    )
    description = serializers.CharField(read_only=True)
    measured = serializers.SerializerMethodField(
        help_text="Whether SocialOps measures it from its data (its series is at "
        "/api/v1/metrics/series/); if not, it is entered by hand or not measured yet."
    )

    def get_measured(self, metric: Metric) -> bool:
        return is_computed(metric.key)


class KPIProgressSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in Source],
        read_only=True,
        help_text="Where the actual comes from: `data` (computed from SocialOps' own rows, "
        "over the goal's period up to today, in the KPI's scope), `hand` (the latest "
        "measurement typed in) or `not_yet` (inbox and prospect metrics, not measured yet).",
    )
    actual = serializers.DecimalField(
        **DECIMAL, allow_null=True, read_only=True, help_text="Null: no data yet (never 0)."
    )
    as_of = serializers.DateField(
        allow_null=True,
        read_only=True,
        help_text="The last day the actual counts, or the day it was measured.",
    )
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    days_total = serializers.IntegerField(read_only=True)
    days_gone = serializers.IntegerField(
        read_only=True, help_text="Days of the period over by the time of the actual."
    )
    percent_of_target = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="actual ÷ target, in percent."
    )
    expected = serializers.DecimalField(
        **DECIMAL,
        allow_null=True,
        read_only=True,
        help_text="For a total to reach: target × days_gone ÷ days_total. Null otherwise.",
    )
    projected = serializers.DecimalField(
        **DECIMAL,
        allow_null=True,
        read_only=True,
        help_text="The value at the end of the period at the current rate (a total's rate "
        "so far; a level's straight line; a ratio as it stands).",
    )
    needed_per_day = serializers.DecimalField(
        **DECIMAL,
        allow_null=True,
        read_only=True,
        help_text="What each day left must add (a total to reach) or change (a level) to "
        "end on target; for a total to stay below, the most each day left may add; 0 when "
        "already there (or no room is left); null for ratios or with no day left.",
    )
    rag = serializers.ChoiceField(
        choices=[(r.value, RAG_LABELS[r]) for r in Rag],
        read_only=True,
        help_text="green, amber, red, or no_data (grey: nothing to judge yet).",
    )
    rag_label = serializers.CharField(read_only=True)
    rag_rule = serializers.CharField(
        read_only=True, help_text="The rule behind `rag` in words, with today's thresholds."
    )


def _progress_answer(p: KPIProgress) -> dict[str, Any]:
    # Built by hand: a nested serializer per KPI cost more than the rest of the row.
    return {
        "source": p.source.value,
        "actual": _decimal(p.actual),
        "as_of": p.as_of.isoformat() if p.as_of else None,
        "period_start": p.first.isoformat(),
        "period_end": p.last.isoformat(),
        "days_total": p.days_total,
        "days_gone": p.days_gone,
        "percent_of_target": p.percent_of_target,
        "expected": _decimal(p.expected),
        "projected": _decimal(p.projected),
        "needed_per_day": _decimal(p.needed_per_day),
        "rag": p.rag.value,
        "rag_label": p.rag_label,
        "rag_rule": p.rag_rule,
    }


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
            "account",
            "campaign",
            "green_from",
            "amber_from",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(KPIProgressSerializer)
    def get_progress(self, kpi: KPI) -> dict[str, Any]:
        # A list's KPIs are measured together beforehand (KPIProgressMixin).
        progress = self.context.get("progress", {}).get(kpi.pk)
        if progress is None:
            today = self.context.get("today") or timezone.localdate()
            progress = kpi_progress(kpi=kpi, today=today)
        return _progress_answer(progress)


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
        help_text="reach: a total that adds up over the period, judged pro rata; above or "
        "below: a level or a ratio, judged as it stands. Defaults to the metric's own: "
        "below for lower-is-better metrics, above for levels and ratios, else reach.",
    )
    cadence = serializers.ChoiceField(choices=KPI.Cadence.choices, required=False)
    scope = serializers.ChoiceField(
        choices=KPI.Scope.choices,
        required=False,
        help_text="Whose figures count. Defaults to the department (the organisation for "
        "metrics not counted per department, e.g. followers). `account` needs `account`, "
        "`campaign` needs `campaign`.",
    )
    account = AccountIdField(
        allow_null=True, required=False, help_text="The X account's id, for scope `account`."
    )
    campaign = CampaignIdField(
        allow_null=True,
        required=False,
        help_text="A campaign of the goal's department, for scope `campaign`.",
    )
    green_from = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        help_text="Green at or above this percent of the (pro-rated) target; default 99.",
    )
    amber_from = serializers.IntegerField(
        min_value=0,
        max_value=999,
        required=False,
        help_text="Amber from this percent up to green_from, red below; default 81.",
    )


class KPICreateSerializer(KPIUpdateSerializer):
    goal = GoalIdField(help_text="The goal's id.")


# --- Viewsets -------------------------------------------------------------------------


class MetricViewSet(viewsets.GenericViewSet):
    """The metric registry: every key a KPI's `metric` may take."""

    serializer_class = MetricSerializer
    pagination_class = None
    filter_backends = []
    lookup_field = "key"
    # Any key but the endpoints under /metrics/ (metrics.series_api, metrics.activities_api),
    # whichever registers on the router first.
    lookup_value_regex = r"(?!(?:series|activities)(?:[/.]|$))[^/.]+"

    def list(self, request: Request) -> Response:
        single_query_values(request.query_params, set())
        return Response(MetricSerializer(list(METRICS.values()), many=True).data)

    @extend_schema(parameters=[OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH)])
    def retrieve(self, request: Request, key: str) -> Response:
        metric = metric_get(key)
        if metric is None:
            raise Http404
        return Response(MetricSerializer(metric).data)


class KPIProgressMixin:
    """A list measures its page's KPIs together (metrics.selectors.kpi_progress_many: the
    rollup is read in two queries for the whole page, not per KPI)."""

    def kpis_of(self, rows: list[Any]) -> list[KPI]:
        return rows

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = self.get_serializer_context()
        kpis = self.kpis_of(rows)
        found = kpi_progress_many(kpis, today=context["today"], series=False)
        context["progress"] = {kpi.pk: p for kpi, p in zip(kpis, found, strict=True)}
        data = self.output_serializer_class(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)


@extend_schema_view(**answers_with(GoalSerializer))
class GoalViewSet(KPIProgressMixin, ServiceModelViewSet):
    """Goals with their KPIs and each KPI's progress. Every member reads every
    department's goals; leads and members edit their own department's."""

    output_serializer_class = GoalSerializer
    create_serializer_class = GoalCreateSerializer
    update_serializer_class = GoalUpdateSerializer
    filterset_class = filters.GoalFilterSet

    def kpis_of(self, rows: list[Goal]) -> list[KPI]:
        return [kpi for goal in rows for kpi in goal.kpis.all()]

    use = Services(
        selector=selectors.goal_list,
        create=services.goal_create,
        update=services.goal_update,
        delete=services.goal_delete,
        instance="goal",
    )


@extend_schema_view(**answers_with(KPISerializer))
class KPIViewSet(ChangeFeedMixin, KPIProgressMixin, ServiceModelViewSet):
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
