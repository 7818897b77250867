"""The FilterSet for time entries, shared by the pages and the REST API. It filters
within what the selector already let the user see."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django_filters.widgets import DateRangeWidget

from campaigns.models import Campaign, TimeEntry
from campaigns.selectors import campaign_choices
from departments import selectors as department_selectors
from departments.models import Department
from socialops.filters import DateRangeFilter
from socialops.models import User
from socialops.permissions import request_user


def _campaigns(request: HttpRequest | None) -> QuerySet[Campaign]:
    return campaign_choices(user=request_user(request))


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=request_user(request))


def _users(request: HttpRequest | None) -> QuerySet[User]:
    if not request_user(request).is_authenticated:
        return User.objects.none()
    return User.objects.filter(is_active=True)


class TimeEntryFilterSet(filters.FilterSet):
    user = filters.ModelChoiceFilter(
        queryset=_users, to_field_name="username", help_text="A username."
    )
    activity = filters.ChoiceFilter(choices=TimeEntry.Activity.choices)
    campaign = filters.ModelChoiceFilter(queryset=_campaigns, help_text="A campaign's id.")
    department = filters.ModelChoiceFilter(
        queryset=_departments, to_field_name="slug", help_text="A department's slug."
    )
    day = DateRangeFilter(
        widget=DateRangeWidget(attrs={"type": "date"}),
        help_text="Entries from `day_after` to `day_before`, inclusive.",
    )

    class Meta:
        model = TimeEntry
        fields = ["user", "activity", "campaign", "department", "day"]
