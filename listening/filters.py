"""FilterSets for sources and posts, shared by the REST API and the pages so both accept
the same query parameters.

Choices of sources and accounts come from the selectors with the requesting user, and
every filter that follows a source goes through the sources the user may see: asking
for someone else's private list answers exactly as asking for one that does not exist."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from departments import selectors as department_selectors
from departments.models import Department
from listening import selectors
from listening.models import Source, SourceTweet, Tweet, XAccount
from socialops.filters import DateTimeRangeFilter
from socialops.permissions import request_user


def _sources(request: HttpRequest | None) -> QuerySet[Source]:
    return selectors.source_list(user=request_user(request))


def _accounts(request: HttpRequest | None) -> QuerySet[XAccount]:
    return selectors.account_list(user=request_user(request))


def _departments(request: HttpRequest | None) -> QuerySet[Department]:
    return department_selectors.department_list(user=request_user(request))


ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


class SourceFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Source.Kind.choices)
    account = filters.ModelChoiceFilter(queryset=_accounts, help_text="An X account's id.")
    department = filters.ModelChoiceFilter(
        queryset=_departments, to_field_name="slug", help_text="A department's slug."
    )

    class Meta:
        model = Source
        fields = ["kind", "account", "department", "enabled", "is_private"]


class TweetFilterSet(filters.FilterSet):
    source = filters.ModelChoiceFilter(
        queryset=_sources,
        method="filter_source",
        label="Source",
        empty_label="All sources",
        help_text="Posts read by this source (its id).",
    )
    account = filters.ModelChoiceFilter(
        queryset=_accounts,
        method="filter_account",
        label="Account",
        empty_label="All accounts",
        help_text="Posts read by any source of this X account (its id).",
    )
    lang = filters.CharFilter(
        field_name="lang",
        label="Language",
        help_text="X's language code, e.g. en.",
        widget=forms.TextInput(attrs={"placeholder": "en", "size": 4}),
    )
    q = filters.CharFilter(
        field_name="text", lookup_expr="icontains", label="Text contains", help_text="Any case."
    )
    author = filters.CharFilter(
        label="Author",
        help_text="The author's @username, without the @.",
        method="filter_author",
        widget=forms.TextInput(attrs={"placeholder": "username"}),
    )
    inbox = filters.BooleanFilter(
        field_name="inbox_item",
        lookup_expr="isnull",
        exclude=True,
        label="In the inbox",
        widget=forms.Select(choices=ANY_YES_NO),
        help_text="Only posts that are (true) or are not (false) in the mention inbox.",
    )
    mentions = filters.BooleanFilter(
        method="filter_mentions",
        label="Mentions",
        widget=forms.Select(choices=ANY_YES_NO),
        help_text="Only posts read by a mentions source (true).",
    )
    created = DateTimeRangeFilter(
        field_name="created_at",
        label="Posted",
        widget=filters.widgets.DateRangeWidget(attrs={"type": "date"}),
        help_text="Posted from `created_after` to `created_before` (dates, inclusive, "
        "in the organisation's time zone).",
    )
    conversation = filters.NumberFilter(
        field_name="conversation_id", help_text="The conversation's id (its first post's id)."
    )
    # The rows behind a dashboard's mentions (metrics.facts.mentions counts inbox items by
    # the department they were routed to, on the day they arrived).
    department = filters.ModelChoiceFilter(
        field_name="inbox_item__department",
        queryset=_departments,
        to_field_name="slug",
        label="Routed to",
        empty_label="Any department",
        help_text="Mentions in the inbox routed to this department (its slug).",
    )
    received = DateTimeRangeFilter(
        field_name="inbox_item__received_at",
        label="Arrived in the inbox",
        widget=filters.widgets.DateRangeWidget(attrs={"type": "date"}),
        help_text="Mentions that arrived in the inbox from `received_after` to "
        "`received_before` (dates, inclusive, in the organisation's time zone).",
    )

    class Meta:
        model = Tweet
        fields = [
            "source",
            "account",
            "lang",
            "q",
            "author",
            "inbox",
            "mentions",
            "created",
            "conversation",
            "department",
            "received",
        ]

    def _read_by(self, queryset: QuerySet[Tweet], sources: QuerySet[Source]) -> QuerySet[Tweet]:
        return queryset.filter(
            Exists(SourceTweet.objects.filter(tweet=OuterRef("pk"), source__in=sources))
        )

    def _visible(self) -> QuerySet[Source]:
        return selectors.source_list_reading(user=request_user(self.request)).values("pk")

    def filter_source(self, queryset: QuerySet[Tweet], name: str, value: Source) -> QuerySet:
        return self._read_by(queryset, self._visible().filter(pk=value.pk))

    def filter_account(self, queryset: QuerySet[Tweet], name: str, value: XAccount) -> QuerySet:
        # Through visible sources only: a private list's account must not reveal its posts.
        return self._read_by(queryset, self._visible().filter(account=value))

    def filter_author(self, queryset: QuerySet[Tweet], name: str, value: str) -> QuerySet:
        return queryset.filter(author__username__iexact=value.strip().lstrip("@"))

    def filter_mentions(self, queryset: QuerySet[Tweet], name: str, value: bool | None):
        if value is None:
            return queryset
        read = Exists(
            SourceTweet.objects.filter(
                tweet=OuterRef("pk"),
                source__in=self._visible().filter(kind=Source.Kind.MENTIONS),
            )
        )
        return queryset.filter(read if value else ~read)
