"""FilterSets for tracked links and clicks, shared by the pages and the API."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django_filters.widgets import DateRangeWidget

from campaigns.links.selectors import links_visible_to
from campaigns.models import Campaign, Click, ScheduledPost, TrackedLink
from campaigns.selectors import campaign_choices
from departments import selectors as department_selectors
from departments.models import Department
from socialops.filters import DateTimeRangeFilter, IsoDateTimeFilter
from socialops.permissions import request_user


def _campaigns(request: HttpRequest | None) -> QuerySet[Campaign]:
    return campaign_choices(user=request_user(request)).order_by("name")


def _links(request: HttpRequest | None) -> QuerySet[TrackedLink]:
    return links_visible_to(user=request_user(request))


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=request_user(request))


class LinkFilterSet(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(
        queryset=_campaigns, empty_label="All campaigns", help_text="A campaign's id."
    )
    department = filters.ModelChoiceFilter(
        field_name="campaign__department",
        label="Department",
        queryset=_departments,
        to_field_name="slug",
        empty_label="All departments",
        help_text="The slug of the department whose campaign the link belongs to.",
    )
    post = filters.NumberFilter(field_name="post", help_text="A scheduled post's id.")

    class Meta:
        model = TrackedLink
        fields = ["campaign", "department", "post"]


class ClickFilterSet(filters.FilterSet):
    link = filters.ModelChoiceFilter(queryset=_links, help_text="A tracked link's id.")
    campaign = filters.ModelChoiceFilter(
        field_name="link__campaign", queryset=_campaigns, help_text="A campaign's id."
    )
    since = IsoDateTimeFilter(
        field_name="clicked_at",
        lookup_expr="gte",
        help_text="Clicks at or after this time (ISO 8601, e.g. 2026-11-20T00:00:00Z).",
    )
    is_bot = filters.BooleanFilter(
        help_text="true: only crawlers and link unfurlers; false: only real clicks."
    )
    # What a dashboard number links to: the same attribution as metrics.facts.clicks.
    department = filters.ModelChoiceFilter(
        queryset=_departments,
        to_field_name="slug",
        method="filter_department",
        label="Department",
        empty_label="All departments",
        help_text="The department a click counts for: its link's post's department, else "
        "its link's campaign's (a department's slug).",
    )
    post = filters.NumberFilter(field_name="link__post", help_text="A scheduled post's id.")
    kind = filters.ChoiceFilter(
        field_name="link__post__kind",
        choices=ScheduledPost.Kind.choices,
        empty_label="Any kind of post",
        label="Kind of post",
        help_text="Clicks on links of posts of this kind (post, thread, reply, quote, repost).",
    )
    clicked = DateTimeRangeFilter(
        field_name="clicked_at",
        widget=DateRangeWidget(attrs={"type": "date"}),
        label="Clicked",
        help_text="Clicks from `clicked_after` to `clicked_before`, whole days in the "
        "organisation's time zone, inclusive.",
    )

    class Meta:
        model = Click
        fields = ["link", "campaign", "department", "post", "kind", "since", "clicked", "is_bot"]

    def filter_department(
        self, queryset: QuerySet[Click], name: str, value: Department | None
    ) -> QuerySet[Click]:
        if value is None:
            return queryset
        return queryset.filter(
            Q(link__post__department=value)
            | Q(link__post__isnull=True, link__campaign__department=value)
        )
