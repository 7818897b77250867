"""REST API for a metric's series: `GET /api/v1/metrics/series/?metric=&dimension=&id=&from=
&to=&interval=`, read from the daily rollup (metrics.measure), never from raw rows.

Every parameter is checked before anything is read: an unknown metric, dimension or
parameter, a missing or unknown id (ids the caller may not see, such as someone else's
private list, are unknown), from after to, or a range with too many points is a 400 with
the field's error. Days are the organisation's (its time zone)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.helpers import forced_singular_serializer
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.links.selectors import links_visible_to
from campaigns.selectors import campaign_choices
from departments.selectors import department_list
from listening.selectors import account_list, source_list
from metrics.facts import ACTIVITY_LABELS
from metrics.measure import INTERVALS, Scope, is_computed, metric_series
from metrics.models import SCOPE_DIMS, Dim
from metrics.registry import metric_choices, metric_get, unit_choices
from socialops import drf, params
from socialops.api import router
from socialops.drf import single_query_values

# The longest range each interval answers (a year counted as 366 days): enough for any
# chart, and a bound on the work one request can ask for.
MAX_YEARS = {"day": 3, "week": 10, "month": 30}
# The range when `from` is left out: this many days up to `to`.
DEFAULT_DAYS = {"day": 30, "week": 7 * 13, "month": 365}

Q4 = Decimal("0.0001")
NOUNS = {
    Dim.DEPARTMENT: "department",
    Dim.ACCOUNT: "X account",
    Dim.CAMPAIGN: "campaign",
    Dim.LINK: "tracked link",
    Dim.SOURCE: "source",
    Dim.ACTIVITY: "activity kind",
}


def _rows(dim: str, user: Any) -> QuerySet | None:
    """The rows a dimension's ids name, narrowed to what the user may see (None: the
    dimension's ids are not rows)."""
    if dim == Dim.DEPARTMENT:
        return department_list(user=user)
    if dim == Dim.ACCOUNT:
        return account_list(user=user)
    if dim == Dim.CAMPAIGN:
        return campaign_choices(user=user)
    if dim == Dim.LINK:
        return links_visible_to(user=user)
    if dim == Dim.SOURCE:
        return source_list(user=user)
    return None


def scope_exists(*, user: Any, dim: str, id: int) -> bool:
    """Whether the user may read the series of this dimension's id."""
    if dim == Dim.ORG:
        return id == 0
    if dim == Dim.ACTIVITY:
        return id in ACTIVITY_LABELS
    rows = _rows(dim, user)
    # values("pk") drops the selectors' counts and joins: only existence is asked.
    return rows is not None and rows.filter(pk=id).values("pk").exists()


# --- Serializers ------------------------------------------------------------------------


class SeriesQuerySerializer(serializers.Serializer):
    """The query parameters, as the schema documents them and validation keeps them."""

    metric = serializers.ChoiceField(
        choices=metric_choices(), help_text="A metric key from /api/v1/metrics/."
    )
    dimension = serializers.ChoiceField(
        choices=SCOPE_DIMS,
        default=Dim.ORG,
        help_text="Whose figures: the organisation's (default) or one department's, X "
        "account's, campaign's, tracked link's, source's or activity kind's.",
    )
    id = drf.IntegerField(
        min_value=0,
        max_value=drf.INT64_MAX,
        required=False,
        help_text="The dimension's id (an activity kind's code: "
        + ", ".join(f"{code} {label}" for code, label in ACTIVITY_LABELS.items())
        + "). Required unless the dimension is org.",
    )
    from_ = drf.DateField(
        required=False,
        help_text="First day, in the organisation's time zone. Default: 30 days, 13 weeks "
        "or a year before `to`, by interval.",
    )
    to = drf.DateField(
        required=False, help_text="Last day (included). Default: today in the organisation."
    )
    interval = serializers.ChoiceField(
        choices=[(i, i) for i in INTERVALS],
        default="day",
        help_text="One point a day, an ISO week (Monday first) or a calendar month; the "
        "first and last points are clipped to the range. At most "
        + ", ".join(f"{years} years of {i}s" for i, years in MAX_YEARS.items())
        + ".",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword: declared as from_, named `from` in the query.
        return {
            ("from" if name == "from_" else name): field
            for name, field in super().get_fields().items()
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        dim, interval = attrs["dimension"], attrs["interval"]
        if dim == Dim.ORG:
            if attrs.get("id", 0) != 0:
                errors["id"] = ["The organisation has no id: leave it out (or give 0)."]
            attrs["id"] = 0
        elif "id" not in attrs:
            errors["id"] = [f"Required for the dimension {dim}."]
        elif not scope_exists(user=self.context["request"].user, dim=dim, id=attrs["id"]):
            errors["id"] = [f"No {NOUNS[dim]} with the id {attrs['id']}."]
        # The organisation's today: its middleware activated its time zone.
        last: date = attrs.get("to") or timezone.localdate()
        first: date = attrs.get("from") or max(
            last - timedelta(days=DEFAULT_DAYS[interval] - 1), params.EARLIEST
        )
        if first > last:
            errors["to"] = ["On or after from."]
        elif (last - first).days + 1 > MAX_YEARS[interval] * 366:
            errors["to"] = [
                f"At most {MAX_YEARS[interval]} years of {interval}s: shorten the range or "
                "ask for a longer interval."
            ]
        if errors:
            raise ValidationError(errors)
        return {**attrs, "from": first, "to": last}


class PointSerializer(serializers.Serializer):
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    value = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        allow_null=True,
        read_only=True,
        help_text="The metric over start..end; null: no data yet (0 is a measured zero).",
    )


class SeriesSerializer(serializers.Serializer):
    metric = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    unit = serializers.ChoiceField(choices=unit_choices(), read_only=True)
    measured = serializers.BooleanField(
        read_only=True,
        help_text="Whether SocialOps measures this metric from its data; if not, every "
        "value is null (entered by hand on KPIs, or not measured yet).",
    )
    dimension = serializers.ChoiceField(choices=SCOPE_DIMS, read_only=True)
    id = serializers.IntegerField(read_only=True)
    interval = serializers.ChoiceField(choices=[(i, i) for i in INTERVALS], read_only=True)
    from_ = serializers.DateField(read_only=True)
    to = serializers.DateField(read_only=True)
    points = PointSerializer(many=True, read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            ("from" if name == "from_" else name): field
            for name, field in super().get_fields().items()
        }


# A 400's body: each parameter's errors, by the parameter's name.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def _decimal(value: Decimal | None) -> str | None:
    # Written out by hand (as PointSerializer would): a serializer per point cost more
    # than reading the rollup for three years of days.
    return None if value is None else f"{value.quantize(Q4):f}"


# --- Viewset ----------------------------------------------------------------------------


class SeriesViewSet(viewsets.GenericViewSet):
    """A metric's series for a scope, from the daily rollup."""

    serializer_class = SeriesSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="metrics_series_retrieve",
        parameters=[SeriesQuerySerializer],
        responses={
            200: forced_singular_serializer(SeriesSerializer),
            400: OpenApiResponse(
                response=FIELD_ERRORS,
                description="A parameter is missing, unknown or out of range: each "
                "parameter's errors, by name.",
            ),
        },
    )
    def list(self, request: Request) -> Response:
        values = single_query_values(request.query_params, set(SeriesQuerySerializer().fields))
        query = SeriesQuerySerializer(data=values, context={"request": request})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        metric = metric_get(q["metric"])
        assert metric is not None  # the choice field knows only the registry's keys
        points = metric_series(
            metric.key,
            scope=Scope(q["dimension"], q["id"]),
            first=q["from"],
            last=q["to"],
            interval=q["interval"],
        )
        return Response(
            {
                "metric": metric.key,
                "label": metric.label,
                "unit": metric.unit.value,
                "measured": is_computed(metric.key),
                "dimension": q["dimension"],
                "id": q["id"],
                "interval": q["interval"],
                "from": q["from"].isoformat(),
                "to": q["to"].isoformat(),
                "points": [
                    {
                        "start": p.start.isoformat(),
                        "end": p.end.isoformat(),
                        "value": _decimal(p.value),
                    }
                    for p in points
                ],
            }
        )


router.register("metrics/series", SeriesViewSet, basename="metric-series")
