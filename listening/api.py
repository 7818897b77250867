"""REST API for X accounts, sources and the posts they read.

Reads go through listening.selectors, so a private list and the posts read only through
it are served to their owner alone, exactly as on the pages. Writes go through
listening.services (rights, full_clean, audit, one transaction): a refused or invalid
request leaves nothing behind. Tokens are never part of any answer.

X's ids are 64-bit: posts, users and lists are answered with string ids, as X does,
because JavaScript numbers lose their last digits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer
from listening import filters, selectors, services
from listening.columns import METRICS
from listening.models import Source, SourceTweet, Tweet, XAccount, XUser
from listening.serializers import AccountIdField, AccountSummarySerializer
from socialops import drf
from socialops.api import ChangeFeedMixin, ServiceModelViewSet, Services, answers_with, router
from socialops.drf import CursorPagination

# As on the page (a week): a number of seconds past a timedelta's range was a 500.
MAX_INTERVAL_SECONDS = 7 * 24 * 60 * 60


class SecondsField(serializers.IntegerField):
    """A duration as whole seconds."""

    def run_validation(self, data: Any = serializers.empty) -> timedelta | None:
        # Validators (min_value) check the number; the service gets a duration.
        seconds = super().run_validation(data)
        return None if seconds is None else timedelta(seconds=seconds)

    def to_representation(self, value: timedelta) -> int:
        return int(value.total_seconds())


# --- Output serializers ---------------------------------------------------------------


class AccountHealthSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["ok", "rate_limited", "needs_reconnection"], read_only=True
    )
    label = serializers.CharField(read_only=True)
    until = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="When a rate limit ends."
    )
    token_warning = serializers.CharField(read_only=True)


class AccountBudgetSerializer(serializers.Serializer):
    spent = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        read_only=True,
        help_text="US$ X billed for reads through the account this month (UTC).",
    )
    percent = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Of the monthly budget; null without one."
    )
    state = serializers.ChoiceField(
        choices=["none", "ok", "warning", "over", "paused"],
        read_only=True,
        help_text="warning from 80 %; paused at 100 % when budget_pause is on (its sources "
        "stop pulling until resumes_on or a raise), else over.",
    )
    month = serializers.DateField(read_only=True)
    resumes_on = serializers.DateField(read_only=True, help_text="The next month's first day.")


class AccountBudgetUpdateSerializer(serializers.Serializer):
    monthly_budget = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        allow_null=True,
        help_text="US$ a month that X may bill for reads through the account; null: none.",
    )
    budget_pause = serializers.BooleanField(
        default=False, help_text="Stop its sources when the month's spend reaches the budget."
    )


class AccountSerializer(serializers.ModelSerializer):
    x_user_id = serializers.CharField(read_only=True, allow_null=True)
    health = serializers.SerializerMethodField()
    budget = serializers.SerializerMethodField()

    class Meta:
        model = XAccount
        # Never the tokens.
        fields = [
            "id",
            "username",
            "x_user_id",
            "name",
            "auth",
            "health",
            "last_success_at",
            "last_error",
            "token_expires_at",
            "token_expires_soon",
            "scopes",
            "monthly_budget",
            "budget_pause",
            "budget",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AccountHealthSerializer)
    def get_health(self, account: XAccount) -> dict[str, Any]:
        return AccountHealthSerializer(selectors.account_health(account=account)).data

    @extend_schema_field(AccountBudgetSerializer)
    def get_budget(self, account: XAccount) -> dict[str, Any]:
        return AccountBudgetSerializer(selectors.account_budget(account=account)).data


class SourceSerializer(serializers.ModelSerializer):
    account = AccountSummarySerializer(read_only=True)
    department = DepartmentSummarySerializer(read_only=True, allow_null=True)
    owner = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who added it."
    )
    x_list_id = serializers.CharField(read_only=True, allow_null=True)
    interval = SecondsField(read_only=True, help_text="Seconds between two runs.")

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "account",
            "department",
            "query",
            "x_list_id",
            "is_private",
            "owner",
            "interval",
            "enabled",
            "next_run_at",
            "last_run_at",
            "last_success_at",
            "last_result",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class XUserSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)

    class Meta:
        model = XUser
        fields = ["id", "username", "name", "profile_image_url", "verified", "followers_count"]
        read_only_fields = fields


class InboxSummarySerializer(serializers.Serializer):
    status = serializers.CharField(read_only=True)
    department = serializers.CharField(
        read_only=True, allow_null=True, help_text="The department's slug."
    )


class TweetSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    author = XUserSerializer(read_only=True)
    conversation_id = serializers.CharField(read_only=True, allow_null=True)
    in_reply_to_tweet_id = serializers.CharField(read_only=True, allow_null=True)
    url = serializers.CharField(source="x_url", read_only=True)
    sources = serializers.SerializerMethodField(help_text="Ids of your sources that read it.")
    inbox = serializers.SerializerMethodField()

    class Meta:
        model = Tweet
        fields = [
            "id",
            "url",
            "author",
            "text",
            "created_at",
            "lang",
            "conversation_id",
            "in_reply_to_tweet_id",
            "is_retweet",
            *METRICS,
            "sources",
            "inbox",
            "first_seen_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_sources(self, tweet: Tweet) -> list[int]:
        reads: list[SourceTweet] = getattr(tweet, "visible_reads", [])
        return [read.source_id for read in reads]

    @extend_schema_field(InboxSummarySerializer(allow_null=True))
    def get_inbox(self, tweet: Tweet) -> dict[str, Any] | None:
        item = getattr(tweet, "inbox_item", None)
        if item is None:
            return None
        return {
            "status": item.status,
            "department": item.department.slug if item.department else None,
        }


# --- Input serializers ----------------------------------------------------------------


class SourceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    account = AccountIdField(help_text="The X account's id (/api/v1/accounts/).")
    department = DepartmentSlugField(
        allow_null=True, required=False, help_text="Where its mentions are routed (a slug)."
    )
    query = serializers.CharField(
        max_length=512, allow_blank=True, required=False, help_text="For searches: X's query."
    )
    x_list_id = drf.IntegerField(
        min_value=1,
        max_value=drf.INT64_MAX,
        allow_null=True,
        required=False,
        help_text="For lists: the X list's id.",
    )
    is_private = serializers.BooleanField(
        required=False,
        help_text="Lists only: only you see the list and its posts. An X list is followed "
        "either privately by one person or openly, never both (400 on x_list_id).",
    )
    interval = SecondsField(
        min_value=15,
        max_value=MAX_INTERVAL_SECONDS,
        required=False,
        help_text="Seconds between two runs: 15 to 604,800 (a week).",
    )
    enabled = serializers.BooleanField(required=False)


class SourceCreateSerializer(SourceUpdateSerializer):
    pass


# --- Viewsets -------------------------------------------------------------------------


class TweetCursorPagination(CursorPagination):
    """Newest first; X's ids grow with time."""

    ordering = "-id"


class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The organisation's X accounts and their health. Read-only here: connecting an
    account is a sign-in to X, done on the Accounts page. Tokens are never shown."""

    serializer_class = AccountSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[XAccount]:
        return selectors.account_list(user=self.request.user)

    @extend_schema(request=AccountBudgetUpdateSerializer, responses=AccountSerializer)
    @action(detail=True, methods=["put"], serializer_class=AccountBudgetUpdateSerializer)
    def budget(self, request: Request, pk: str | None = None) -> Response:
        """Set the account's monthly X budget and whether its sources pause at 100 %
        (organisation admins)."""
        serializer = AccountBudgetUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = services.account_budget_set(
            actor=request.user, account=self.get_object(), **serializer.validated_data
        )
        return Response(AccountSerializer(account, context=self.get_serializer_context()).data)


@extend_schema_view(**answers_with(SourceSerializer))
class SourceViewSet(ServiceModelViewSet):
    """What is read from X and how often. Members and leads add sources; their owner or
    an organisation admin edits them. A private list is seen by its owner only."""

    output_serializer_class = SourceSerializer
    create_serializer_class = SourceCreateSerializer
    update_serializer_class = SourceUpdateSerializer
    filterset_class = filters.SourceFilterSet

    use = Services(
        selector=selectors.source_list,
        create=services.source_create,
        update=services.source_update,
        delete=services.source_delete,
        instance="source",
    )

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(
                inline_serializer("SourceRunQueued", {"queued": serializers.BooleanField()}),
                description="A run was queued; it reads at once unless one is under way.",
            )
        },
    )
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        """Run the source now, outside its schedule."""
        services.source_run_now(actor=request.user, source=self.get_object())
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class TweetViewSet(
    ChangeFeedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Posts read by the sources you may see, newest first, with the same filters as the
    stream page."""

    serializer_class = TweetSerializer
    filterset_class = filters.TweetFilterSet
    pagination_class = TweetCursorPagination

    def get_queryset(self) -> QuerySet[Tweet]:
        user = self.request.user
        return selectors.tweet_list(user=user).prefetch_related(
            selectors.visible_reads_prefetch(user=user)
        )


router.register("accounts", AccountViewSet, basename="x-account")
router.register("sources", SourceViewSet, basename="source")
router.register("tweets", TweetViewSet, basename="tweet")
