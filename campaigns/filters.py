"""FilterSets for campaigns and the UTM registry, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest

from campaigns.models import Campaign, UtmTag
from departments import selectors as department_selectors
from departments.models import Department, Goal
from socialops.filters import DateFilter
from socialops.permissions import request_user


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=request_user(request))


class CampaignFilterSet(filters.FilterSet):
    department = filters.ModelChoiceFilter(
        queryset=_departments,
        to_field_name="slug",
        empty_label="All departments",
        help_text="A department's slug.",
    )
    status = filters.ChoiceFilter(choices=Campaign.Status.choices, empty_label="Any status")
    objective = filters.ChoiceFilter(choices=Goal.Objective.choices, empty_label="Any objective")
    q = filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name contains",
        help_text="Any case.",
        widget=forms.TextInput(attrs={"placeholder": "spring", "size": 12}),
    )
    active_on = DateFilter(
        method="filter_active_on",
        label="Running on",
        help_text="Campaigns whose period includes this date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Campaign
        fields = ["department", "status", "objective", "q", "active_on"]

    def filter_active_on(
        self, queryset: QuerySet[Campaign], name: str, value: Any
    ) -> QuerySet[Campaign]:
        return queryset.filter(period_start__lte=value, period_end__gte=value)


class UtmTagFilterSet(filters.FilterSet):
    parameter = filters.ChoiceFilter(choices=UtmTag.Parameter.choices)

    class Meta:
        model = UtmTag
        fields = ["parameter", "is_active"]
