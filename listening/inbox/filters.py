"""The inbox's one FilterSet: the pages, the CSV export and the API take the same query
parameters. Choices come from selectors with the requesting user."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from listening import selectors as listening_selectors
from listening.inbox.models import Conversation, Message, Priority, Sentiment, Status, Tag
from listening.inbox.sla import selectors as sla_selectors
from listening.models import Source, SourceTweet, XAccount
from socialops.permissions import request_user

SLA_STATES = sla_selectors.STATES


def _accounts(request) -> QuerySet[XAccount]:
    return listening_selectors.account_list(user=request_user(request))


def _sources(request) -> QuerySet[Source]:
    return listening_selectors.source_list_reading(user=request_user(request))


class ConversationFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Status.choices, help_text="One or more.")
    priority = filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    sentiment = filters.ChoiceFilter(choices=Sentiment.choices, empty_label="Any sentiment")
    tag = filters.ModelChoiceFilter(
        field_name="tags",
        queryset=Tag.objects.all(),
        to_field_name="name",
        empty_label="Any tag",
        help_text="A tag's name.",
    )
    account = filters.ModelChoiceFilter(
        queryset=_accounts, empty_label="Any account", help_text="An X account's id."
    )
    source = filters.ModelChoiceFilter(
        queryset=_sources,
        method="filter_source",
        empty_label="Any source",
        label="Source",
        help_text="Conversations with a post read by this source (its id).",
    )
    kind = filters.ChoiceFilter(choices=Conversation.Kind.choices, empty_label="Posts and DMs")
    sla = filters.ChoiceFilter(
        choices=SLA_STATES,
        method="filter_sla",
        empty_label="Any SLA state",
        label="SLA state",
        help_text="On target, at risk (75 % of a target used) or missed.",
    )
    q = filters.CharFilter(method="filter_q", label="Search", help_text="Words in the messages.")

    class Meta:
        model = Conversation
        fields = ["status", "priority", "sentiment", "tag", "account", "source", "kind", "q"]

    def filter_source(self, queryset, name, value: int):
        read = SourceTweet.objects.filter(source=value, tweet_id=OuterRef("tweet_id"))
        return queryset.filter(
            Exists(Message.objects.filter(conversation=OuterRef("pk")).filter(Exists(read)))
        )

    def filter_sla(self, queryset, name, value):
        return sla_selectors.sla_filter(queryset, value)

    def filter_q(self, queryset, name, value):
        words = value.split()[:8]
        condition = Q()
        for word in words:
            condition &= Q(preview__icontains=word) | Exists(
                Message.objects.filter(conversation=OuterRef("pk"), text__icontains=word)
            )
        return queryset.filter(condition)
