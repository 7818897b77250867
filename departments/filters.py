"""FilterSets for departments, memberships, goals, KPIs and measurements: one per model,
shared by the REST API and the HTML pages so both accept the same query parameters.

Choices of related objects come from the selectors with the requesting user, so a
filter can never be used to probe for something the user may not see."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest

from departments import selectors
from departments.models import KPI, Department, Goal, Measurement, Membership
from metrics.registry import metric_choices
from socialops.filters import DateRangeFilter
from socialops.models import User
from socialops.permissions import request_user


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return selectors.department_list(user=request_user(request))


def _goals(request: HttpRequest | None) -> QuerySet[Goal]:
    # Only the id is checked here: drop the selector's KPI and measurement prefetches.
    return selectors.goal_list(user=request_user(request)).prefetch_related(None)


def _kpis(request: HttpRequest | None) -> QuerySet[KPI]:
    return selectors.kpi_list(user=request_user(request)).prefetch_related(None)


def _users(request: HttpRequest | None) -> QuerySet[User]:
    if not request_user(request).is_authenticated:
        return User.objects.none()
    return User.objects.filter(is_active=True)


class DepartmentFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Department.Kind.choices)

    class Meta:
        model = Department
        fields = ["kind"]


class MembershipFilterSet(filters.FilterSet):
    department = filters.ModelChoiceFilter(
        queryset=_departments, to_field_name="slug", help_text="A department's slug."
    )
    user = filters.ModelChoiceFilter(
        queryset=_users, to_field_name="username", help_text="A username."
    )
    role = filters.ChoiceFilter(choices=Membership.Role.choices)

    class Meta:
        model = Membership
        fields = ["department", "user", "role", "is_representative"]


class GoalFilterSet(filters.FilterSet):
    department = filters.ModelChoiceFilter(
        queryset=_departments, to_field_name="slug", help_text="A department's slug."
    )
    objective = filters.ChoiceFilter(choices=Goal.Objective.choices)
    status = filters.ChoiceFilter(choices=Goal.Status.choices)
    period = DateRangeFilter(
        method="filter_period",
        label="Period",
        help_text="Goals whose period overlaps the dates from `period_after` to "
        "`period_before` (either may be left out).",
    )

    class Meta:
        model = Goal
        fields = ["department", "objective", "status", "period"]

    def filter_period(self, queryset: QuerySet[Goal], name: str, value: slice) -> QuerySet[Goal]:
        if value.start is not None:
            queryset = queryset.filter(period_end__gte=value.start)
        if value.stop is not None:
            queryset = queryset.filter(period_start__lte=value.stop)
        return queryset


class KPIFilterSet(filters.FilterSet):
    goal = filters.ModelChoiceFilter(queryset=_goals, help_text="A goal's id.")
    department = filters.ModelChoiceFilter(
        field_name="goal__department",
        queryset=_departments,
        to_field_name="slug",
        help_text="A department's slug.",
    )
    metric = filters.ChoiceFilter(choices=metric_choices())
    scope = filters.ChoiceFilter(choices=KPI.Scope.choices)
    direction = filters.ChoiceFilter(choices=KPI.Direction.choices)

    class Meta:
        model = KPI
        fields = ["goal", "department", "metric", "scope", "direction"]


class MeasurementFilterSet(filters.FilterSet):
    kpi = filters.ModelChoiceFilter(queryset=_kpis, help_text="A KPI's id.")
    measured_on = DateRangeFilter(
        help_text="Measurements from `measured_on_after` to `measured_on_before`, inclusive."
    )

    class Meta:
        model = Measurement
        fields = ["kpi", "measured_on"]
