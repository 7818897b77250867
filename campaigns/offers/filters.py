"""FilterSets for offers and conversions, shared by the pages and the REST API so both
accept the same query parameters. Campaign choices come from the selectors with the
requesting user."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_filters.widgets import DateRangeWidget

from campaigns.models import Campaign, Conversion, Offer, ScheduledPost
from campaigns.offers import selectors
from campaigns.selectors import campaign_choices
from departments import selectors as department_selectors
from departments.models import Department
from socialops.filters import DateTimeRangeFilter
from socialops.permissions import request_user

ANY = "Any"
ANY_YES_NO = [("", ANY), ("true", "Yes"), ("false", "No")]
DATE_RANGE = DateRangeWidget(attrs={"type": "date"})


def _campaigns(request: HttpRequest | None) -> QuerySet[Campaign]:
    return campaign_choices(user=request_user(request))


def _offers(request: HttpRequest | None) -> QuerySet[Offer]:
    return selectors.offer_list(user=request_user(request)).order_by("code")


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=request_user(request))


class OfferFilterSet(filters.FilterSet):
    STATES = [("current", "Valid today"), ("upcoming", "Not started yet"), ("ended", "Ended")]

    campaign = filters.ModelChoiceFilter(
        queryset=_campaigns, empty_label=ANY, help_text="A campaign's id."
    )
    state = filters.ChoiceFilter(
        choices=STATES,
        empty_label=ANY,
        method="filter_state",
        label="Validity",
        help_text="current: valid today; upcoming: starts later; ended: over (organisation's "
        "time zone).",
    )
    code = filters.CharFilter(
        lookup_expr="icontains", help_text="Offers whose code contains this text."
    )

    class Meta:
        model = Offer
        fields = ["campaign", "state", "code"]

    def filter_state(self, queryset: QuerySet[Offer], name: str, value: str) -> QuerySet[Offer]:
        today = timezone.localdate()
        if value == "current":
            return queryset.filter(valid_from__lte=today, valid_until__gte=today)
        if value == "upcoming":
            return queryset.filter(valid_from__gt=today)
        if value == "ended":
            return queryset.filter(valid_until__lt=today)
        return queryset


class ConversionFilterSet(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(
        queryset=_campaigns, empty_label=ANY, help_text="A campaign's id."
    )
    offer = filters.ModelChoiceFilter(queryset=_offers, empty_label=ANY, help_text="An offer's id.")
    attribution = filters.ChoiceFilter(choices=Conversion.Attribution.choices, empty_label=ANY)
    kind = filters.ChoiceFilter(choices=Conversion.Kind.choices, empty_label=ANY)
    occurred = DateTimeRangeFilter(
        field_name="occurred_at",
        widget=DATE_RANGE,
        label="Period",
        help_text="Conversions from `occurred_after` to `occurred_before`, whole days in the "
        "organisation's time zone, inclusive.",
    )
    is_new_customer = filters.BooleanFilter(
        label="New customer", widget=forms.Select(choices=ANY_YES_NO)
    )
    department = filters.ModelChoiceFilter(
        queryset=_departments,
        to_field_name="slug",
        method="filter_department",
        label="Department",
        empty_label=ANY,
        help_text="The department a conversion counts for: its link's post's department, "
        "else its campaign's (a department's slug).",
    )
    post_kind = filters.ChoiceFilter(
        field_name="link__post__kind",
        choices=ScheduledPost.Kind.choices,
        empty_label=ANY,
        label="Kind of post",
        help_text="Conversions through links of posts of this kind (post, thread, reply, "
        "quote, repost).",
    )
    pending = filters.BooleanFilter(
        method="filter_pending",
        widget=forms.Select(choices=ANY_YES_NO),
        label="Click not found yet",
        help_text="true: conversions whose click id has not (yet) matched a stored click.",
    )

    class Meta:
        model = Conversion
        fields = [
            "campaign",
            "offer",
            "attribution",
            "kind",
            "occurred",
            "is_new_customer",
            "department",
            "post_kind",
            "pending",
        ]

    def filter_department(
        self, queryset: QuerySet[Conversion], name: str, value: Department | None
    ) -> QuerySet[Conversion]:
        # The attribution of metrics.facts.conversions, so a dashboard's number and this
        # list agree.
        if value is None:
            return queryset
        return queryset.filter(
            Q(link__post__department=value) | Q(link__post__isnull=True, campaign__department=value)
        )

    def filter_pending(
        self, queryset: QuerySet[Conversion], name: str, value: bool | None
    ) -> QuerySet[Conversion]:
        if value is None:
            return queryset
        waiting = Q(link__isnull=True) & ~Q(click_id="")
        return queryset.filter(waiting) if value else queryset.exclude(waiting)
