"""REST API for "which activities pay off": `GET /api/v1/metrics/activities/?start=&end=
&department=`, the same table as /metrics/activities/ (metrics.activities.activity_table)
with the same checks (metrics.dashboard_forms.ActivityFilterForm): per department, ISO
week and activity kind, each measure with its rates per hour spent and per dollar of X API
spend and their 95 % intervals."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from departments.selectors import department_list
from metrics import activities as ds
from metrics.dashboard_forms import ActivityFilterForm
from socialops.api import router
from socialops.drf import single_query_values

PARAMETERS = ("start", "end", "department")


class RateSerializer(serializers.Serializer):
    value = serializers.FloatField()
    low = serializers.FloatField(allow_null=True, help_text="95 % interval, lower end.")
    high = serializers.FloatField(allow_null=True, help_text="95 % interval, upper end.")


class MeasureSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[k for k, _ in ds.ACTIVITY_MEASURES])
    label = serializers.CharField()
    value = serializers.DecimalField(max_digits=None, decimal_places=4)
    per_hour = RateSerializer(allow_null=True, help_text="null: no hours logged.")
    per_dollar = RateSerializer(allow_null=True, help_text="null: no X API spend.")


class ActivityRowSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday (organisation's calendar).")
    department = serializers.CharField(allow_null=True, help_text="The department's slug.")
    activity = serializers.IntegerField(help_text="metrics.facts activity code.")
    activity_label = serializers.CharField()
    hours = serializers.DecimalField(max_digits=None, decimal_places=4)
    x_api_spend = serializers.DecimalField(max_digits=None, decimal_places=4, allow_null=True)
    too_few_to_tell = serializers.BooleanField()
    awaits_inbox = serializers.BooleanField()
    measures = MeasureSerializer(many=True)


def _rate(rate: ds.Rate | None) -> dict | None:
    if rate is None:
        return None
    return {"value": rate.value, "low": rate.low, "high": rate.high}


def _places(value: Decimal | int | None) -> str | None:
    """As ActivityRowSerializer's DecimalFields give it: a string with four places."""
    return None if value is None else f"{Decimal(value).quantize(FOUR_PLACES)}"


FOUR_PLACES = Decimal("0.0001")


def _row(row: ds.ActivityRow) -> dict:
    """The row as ActivityRowSerializer documents it, built directly: passing 1,500
    measures through the serializer's fields took most of the answer's time."""
    return {
        "week": row.week.isoformat(),
        "department": row.department.slug if row.department else None,
        "activity": row.activity,
        "activity_label": row.label,
        "hours": _places(row.hours),
        "x_api_spend": _places(row.x_spend),
        "too_few_to_tell": row.too_few,
        "awaits_inbox": row.awaits_inbox,
        "measures": [
            {
                "key": cell["key"],
                "label": cell["label"],
                "value": _places(cell["value"]),
                "per_hour": _rate(cell["hour"]),
                "per_dollar": _rate(cell["dollar"]),
            }
            for cell in row.cells
        ],
    }


class ActivityViewSet(viewsets.GenericViewSet):
    """Which activities pay off, per department, week and kind of post."""

    serializer_class = ActivityRowSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="metrics_activities_list",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="A day of the first week."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="A day of the last week."),
            OpenApiParameter("department", str, description="A department's slug."),
        ],
        responses={
            200: ActivityRowSerializer(many=True),
            400: OpenApiResponse(description="Each parameter's errors, by name."),
        },
    )
    def list(self, request: Request) -> Response:
        query = single_query_values(request.query_params, set(PARAMETERS))
        departments = department_list(user=request.user)
        form = ActivityFilterForm(query, departments=departments)
        if not form.is_valid():
            raise ValidationError(
                {
                    name: [e["message"] for e in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
        first, last, department = form.weeks(today=timezone.localdate())
        rows = ds.activity_table(first=first, last=last, department=department)
        return Response([_row(r) for r in rows])


router.register("metrics/activities", ActivityViewSet, basename="metric-activities")
