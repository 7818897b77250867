"""The one FilterSet for scheduled posts, shared by the calendar pages and the API so both
take the same query parameters (?department=marketing&status=scheduled…).

Choices of related objects come from selectors with the requesting user."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django_filters.widgets import DateRangeWidget

from campaigns.models import Campaign, ContentCategory, ScheduledPost
from campaigns.selectors import campaign_choices
from departments import selectors as department_selectors
from departments.models import Department
from listening import selectors as listening_selectors
from listening.models import XAccount
from socialops.filters import DateTimeRangeFilter, IsoDateTimeRangeFilter
from socialops.permissions import request_user


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=request_user(request))


def _accounts(request: HttpRequest | None) -> QuerySet[XAccount]:
    return listening_selectors.account_list(user=request_user(request))


def _campaigns(request: HttpRequest | None) -> QuerySet[Campaign]:
    return campaign_choices(user=request_user(request))


class ScheduledPostFilterSet(filters.FilterSet):
    department = filters.ModelChoiceFilter(
        queryset=_departments,
        to_field_name="slug",
        empty_label="All departments",
        help_text="A department's slug.",
    )
    account = filters.ModelChoiceFilter(
        queryset=_accounts, empty_label="All accounts", help_text="An X account's id."
    )
    campaign = filters.ModelChoiceFilter(
        queryset=_campaigns, empty_label="All campaigns", help_text="A campaign's id."
    )
    status = filters.ChoiceFilter(
        choices=ScheduledPost.Status.choices, empty_label="Any status", help_text="The status."
    )
    category = filters.ChoiceFilter(
        choices=ContentCategory.choices,
        empty_label="Any category",
        help_text="The content category.",
    )
    kind = filters.ChoiceFilter(
        choices=ScheduledPost.Kind.choices, empty_label="Any kind", help_text="Post, thread…"
    )
    scheduled_at = IsoDateTimeRangeFilter(
        help_text="Posts scheduled from `scheduled_at_after` to `scheduled_at_before` "
        "(ISO 8601 date-times, inclusive; either may be left out)."
    )
    published = DateTimeRangeFilter(
        field_name="published_at",
        widget=DateRangeWidget(attrs={"type": "date"}),
        label="Published",
        help_text="Posts published from `published_after` to `published_before`, whole days "
        "in the organisation's time zone, inclusive.",
    )

    class Meta:
        model = ScheduledPost
        fields = [
            "department",
            "account",
            "campaign",
            "status",
            "category",
            "kind",
            "scheduled_at",
            "published",
        ]

    def __init__(self, *args: Any, calendar: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if calendar:
            # The calendar pages pick the period by their own week and month links.
            del self.filters["scheduled_at"]
            del self.filters["published"]
