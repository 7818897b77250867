"""The FilterSet for time entries, shared by the pages and the REST API. It filters
within what the selector already let the user see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_filters.widgets import DateRangeWidget

from campaigns.models import Campaign, TimeEntry
from campaigns.selectors import offers as campaign_selectors
from departments import selectors as department_selectors
from departments.models import Department
from socialops.models import User


def _date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _user(request: HttpRequest | None) -> Any:
    return getattr(request, "user", None) or AnonymousUser()


def _campaigns(request: HttpRequest | None) -> QuerySet[Campaign]:
    return campaign_selectors.campaign_choices(user=_user(request))


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=_user(request))


def _users(request: HttpRequest | None) -> QuerySet[User]:
    if not _user(request).is_authenticated:
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
    day = filters.DateFromToRangeFilter(
        method="filter_day",
        widget=DateRangeWidget(attrs={"type": "date"}),
        help_text="Entries from `day_after` to `day_before`, inclusive.",
    )

    class Meta:
        model = TimeEntry
        fields = ["user", "activity", "campaign", "department", "day"]

    def filter_day(
        self, queryset: QuerySet[TimeEntry], name: str, value: slice | None
    ) -> QuerySet[TimeEntry]:
        # django-filter turns the dates into aware datetimes in the current (the
        # organisation's) zone; compared with a DateField they would be converted to
        # UTC first and could slip a day. Take the dates back.
        if not value:
            return queryset
        if value.start is not None:
            queryset = queryset.filter(day__gte=_date(value.start))
        if value.stop is not None:
            queryset = queryset.filter(day__lte=_date(value.stop))
        return queryset
