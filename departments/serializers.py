"""What other apps' APIs name of the departments app: a department by slug, a goal by id,
a department answered as a summary. Choices come from the selectors, narrowed to the
caller; their querysets depend on the request, so the schema is told their types."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from departments import selectors
from departments.models import Department, Goal
from socialops import drf
from socialops.permissions import request_user


@extend_schema_field(drf.SLUG_SCHEMA)
class DepartmentSlugField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The department's slug.")
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self) -> QuerySet[Department]:
        return selectors.department_list(user=request_user(self))


@extend_schema_field(OpenApiTypes.INT)
class GoalIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Goal]:
        # The service needs the goal and its department, not its KPIs.
        return selectors.goal_list(user=request_user(self)).prefetch_related(None)


class DepartmentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "slug", "name"]
        read_only_fields = fields
