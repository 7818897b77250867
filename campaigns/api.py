"""REST API for campaigns and the UTM naming registry (registers on socialops.api.router).

Input serializers check the shape; the services check rights (department editors for a
campaign, leads and admins for the registry), registry values, goals and periods, and
answer with field errors (400) or a refusal (403)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.filters import CampaignFilterSet, UtmTagFilterSet
from campaigns.models import Campaign, UtmTag
from departments.models import Goal
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer, GoalIdField
from socialops import drf
from socialops.api import ChangeFeedMixin, ServiceCreateMixin, ServiceViewSet, router
from socialops.serializers import UserSummarySerializer

STATUS_HELP = "One of: " + ", ".join(Campaign.Status.values) + "."


# An enum in the schema named CampaignStatusEnum (settings.SPECTACULAR_SETTINGS).
class CampaignStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", STATUS_HELP)
        super().__init__(choices=Campaign.Status.choices, **kwargs)


class ServicePartialUpdateMixin:
    """PATCH only: a campaign is changed field by field (no PUT replacing it whole)."""

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self.answer(self.perform_update(serializer))


# --- Output serializers ---------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    goals = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    click_count = serializers.IntegerField(
        read_only=True, help_text="Clicks on the campaign's links, bots left out."
    )
    created_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "department",
            *services.CAMPAIGN_FIELDS,
            "click_count",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


MONEY = {"max_digits": 14, "decimal_places": 2}


class CampaignStatsSerializer(serializers.Serializer):
    posts_planned = serializers.IntegerField(help_text="Drafts, in review, approved, rejected.")
    posts_scheduled = serializers.IntegerField()
    posts_published = serializers.IntegerField()
    posts_failed = serializers.IntegerField()
    links = serializers.IntegerField()
    clicks = serializers.IntegerField(help_text="Real clicks: bots left out.")
    bot_clicks = serializers.IntegerField()
    unique_visitors = serializers.IntegerField(
        help_text="Distinct visitors per day (the visitor key changes daily)."
    )
    conversions = serializers.IntegerField()
    new_customers = serializers.IntegerField()
    revenue = serializers.DecimalField(
        **MONEY, help_text="Conversions in the organisation's currency."
    )
    other_currency_conversions = serializers.IntegerField(
        help_text="Conversions in other currencies: counted, not added to revenue."
    )
    currency = serializers.CharField()
    budget = serializers.DecimalField(**MONEY)
    spend = serializers.DecimalField(**MONEY)
    time_minutes = serializers.IntegerField(help_text="Minutes logged on the campaign.")
    hourly_staff_cost = serializers.DecimalField(**MONEY)
    time_cost = serializers.DecimalField(**MONEY)
    cost = serializers.DecimalField(**MONEY, help_text="spend + time_cost")
    roi = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        allow_null=True,
        help_text="(revenue − spend − time_cost) / (spend + time_cost); null with no cost.",
    )
    budget_used_percent = serializers.IntegerField(allow_null=True)


class UtmTagSerializer(serializers.ModelSerializer):
    created_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = UtmTag
        fields = [
            "id",
            "parameter",
            "value",
            "description",
            "is_active",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


# --- Input serializers ----------------------------------------------------------------


class CampaignUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    objective = serializers.ChoiceField(choices=Goal.Objective.choices)
    goals = serializers.ListField(
        child=GoalIdField(),
        required=False,
        help_text="Ids of the active goals the campaign works towards (any department's).",
    )
    description = serializers.CharField(allow_blank=True, required=False)
    period_start = drf.DateField()
    period_end = drf.DateField(help_text="On or after period_start.")
    status = CampaignStatusField(required=False)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    spend = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    utm_source = serializers.CharField(
        max_length=60, required=False, help_text="An active utm_source value of /api/v1/utm-tags/."
    )
    utm_medium = serializers.CharField(
        max_length=60, required=False, help_text="An active utm_medium value of /api/v1/utm-tags/."
    )
    utm_campaign = drf.CharField(
        max_length=100,
        allow_blank=True,
        required=False,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
        help_text="Made from the name when left out or empty; unique among campaigns.",
    )


class CampaignCreateSerializer(CampaignUpdateSerializer):
    department = DepartmentSlugField()


class UtmTagCreateSerializer(serializers.Serializer):
    parameter = serializers.ChoiceField(choices=UtmTag.Parameter.choices)
    value = drf.CharField(
        max_length=100,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
        help_text="Lower-case letters, digits and - or _ (spring-sale).",
    )
    description = serializers.CharField(max_length=200, allow_blank=True, required=False)


class UtmTagUpdateSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(
        required=False, help_text="false retires the value: new campaigns and links cannot pick it."
    )
    description = serializers.CharField(max_length=200, allow_blank=True, required=False)


# --- Viewsets -------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: CampaignSerializer}),
    partial_update=extend_schema(responses=CampaignSerializer),
)
class CampaignViewSet(
    ChangeFeedMixin,
    ServiceCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServicePartialUpdateMixin,
    ServiceViewSet,
):
    """Campaigns of every department (readable by every member); a department's leads
    and members create and change its campaigns. `stats` has its results and costs."""

    output_serializer_class = CampaignSerializer
    create_serializer_class = CampaignCreateSerializer
    update_serializer_class = CampaignUpdateSerializer
    filterset_class = CampaignFilterSet

    def get_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaigns_visible_to(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> Campaign:
        return services.campaign_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.Serializer) -> Campaign:
        return services.campaign_update(
            actor=self.request.user, campaign=serializer.instance, **serializer.validated_data
        )

    @extend_schema(responses=CampaignStatsSerializer, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def stats(self, request: Request, pk: str | None = None) -> Response:
        """Posts, links, clicks, conversions and revenue, spend against budget, staff
        time and its cost, and ROI."""
        stats = selectors.campaign_stats(campaign=self.get_object())
        # The dataclass's fields and properties, by the serializer's names.
        return Response(CampaignStatsSerializer(stats).data)


@extend_schema_view(
    create=extend_schema(responses={201: UtmTagSerializer}),
    partial_update=extend_schema(responses=UtmTagSerializer),
)
class UtmTagViewSet(
    ServiceCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServicePartialUpdateMixin,
    ServiceViewSet,
):
    """The organisation's UTM naming registry: the values campaigns and links may use.
    Everyone reads it; department leads and admins add values and retire them."""

    output_serializer_class = UtmTagSerializer
    create_serializer_class = UtmTagCreateSerializer
    update_serializer_class = UtmTagUpdateSerializer
    filterset_class = UtmTagFilterSet

    def get_queryset(self) -> QuerySet[UtmTag]:
        return selectors.utm_tags_visible_to(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> UtmTag:
        return services.utm_tag_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.Serializer) -> UtmTag:
        return services.utm_tag_update(
            actor=self.request.user, tag=serializer.instance, **serializer.validated_data
        )


router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("utm-tags", UtmTagViewSet, basename="utm-tag")
