"""REST API for offers (coupons) and conversions.

Reads go through campaigns.offers.selectors; writes through campaigns.offers.services
(rights, validation with field errors, audit, one transaction), so the API keeps the
rules the pages keep.

Conversions are how a shop or CRM reports sales, sign-ups, leads and redemptions.
Who may POST one: any signed-in user (an API token) who is an organisation admin or a
lead or member of some department — create a user for the integration, make it a
member of the department that owns the shop, and use its token. Viewers cannot. A
repeated POST never creates a second conversion: send the shop's own id as
`external_id` (the repeat answers 200 with the conversion first recorded), or an
`Idempotency-Key` header (the first answer is replayed for 24 hours, as on every POST:
socialops/idempotency.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.models import Conversion, Offer
from campaigns.offers import selectors, services
from campaigns.offers.filters import ConversionFilterSet, OfferFilterSet
from campaigns.serializers import CampaignIdField, CampaignRefSerializer
from socialops import drf
from socialops.api import ChangeFeedMixin, ServiceCreateMixin, ServiceViewSet, router

IDEMPOTENCY_HEADER = "Idempotency-Key"


# --- Offers ---------------------------------------------------------------------------


class OfferSerializer(serializers.ModelSerializer):
    campaign = CampaignRefSerializer(read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    redemptions = serializers.IntegerField(
        read_only=True, help_text="Conversions that used the code."
    )
    new_customers = serializers.IntegerField(read_only=True)
    revenue = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="Value of the redemptions in the organisation's currency.",
    )
    other_currency = serializers.IntegerField(
        read_only=True,
        help_text="Redemptions in another currency (not added to `revenue`).",
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "campaign",
            "code",
            "description",
            "valid_from",
            "valid_until",
            "value_kind",
            "value",
            "redemptions",
            "new_customers",
            "revenue",
            "other_currency",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OfferInputSerializer(serializers.Serializer):
    campaign = CampaignIdField(help_text="The campaign's id.")
    code = drf.CharField(
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        help_text="Unique whatever the case; letters, digits, - and _.",
    )
    description = serializers.CharField(max_length=300)
    valid_from = drf.DateField()
    valid_until = drf.DateField(help_text="On or after valid_from.")
    value_kind = serializers.ChoiceField(choices=Offer.ValueKind.choices, required=False)
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text="0 or more; ≤ 100 for percent."
    )


@extend_schema_view(
    create=extend_schema(responses={201: OfferSerializer}),
    partial_update=extend_schema(responses=OfferSerializer),
)
class OfferViewSet(
    ServiceCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceViewSet,
):
    """Offers (coupon codes) with their redemptions and revenue. Every member reads them;
    a campaign's department (leads, members) and admins create and change them."""

    output_serializer_class = OfferSerializer
    create_serializer_class = OfferInputSerializer
    update_serializer_class = OfferInputSerializer
    filterset_class = OfferFilterSet

    def get_queryset(self) -> QuerySet[Offer]:
        return selectors.offer_list(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> Offer:
        return services.offer_create(actor=self.request.user, **serializer.validated_data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        offer = services.offer_update(
            actor=request.user, offer=serializer.instance, **serializer.validated_data
        )
        return self.answer(offer)


# --- Conversions ----------------------------------------------------------------------


class ConversionSerializer(serializers.ModelSerializer):
    # A plain string: an enum named "kind" would collide with other models' kinds.
    kind = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(Conversion.Kind.values) + "."
    )
    campaign = CampaignRefSerializer(read_only=True, allow_null=True)
    offer = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The offer's code."
    )
    link = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The short link's code."
    )
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Conversion
        fields = [
            "id",
            "kind",
            "value",
            "currency",
            "occurred_at",
            "is_new_customer",
            "click_id",
            "coupon_code",
            "attribution",
            "campaign",
            "offer",
            "link",
            "external_id",
            "idempotency_key",
            "channel",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class ConversionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Conversion.Kind.choices, default=Conversion.Kind.PURCHASE
    )
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, help_text="0 or more."
    )
    currency = drf.CharField(
        max_length=3,
        default="",
        allow_blank=True,
        pattern=r"^[A-Za-z]{3}$",
        help_text="ISO 4217 (EUR, USD); the organisation's currency when left out.",
    )
    occurred_at = drf.DateTimeField(
        help_text="When it happened; not in the future. Without an offset: the "
        "organisation's time zone."
    )
    is_new_customer = serializers.BooleanField(default=False)
    click_id = drf.CharField(
        max_length=32,
        default="",
        allow_blank=True,
        pattern=r"^[0-9A-Fa-f]{32}$",
        help_text="The `sc_cid` our short link added to the landing page's address. "
        "Attributes the conversion to the link's campaign (before any coupon).",
    )
    coupon_code = serializers.CharField(
        max_length=40,
        default="",
        allow_blank=True,
        help_text="A code of an offer valid on the day; an unknown code is refused.",
    )
    external_id = serializers.CharField(
        max_length=100,
        default=None,
        allow_null=True,
        allow_blank=True,
        help_text="The shop's or CRM's own id: the same id again returns the conversion "
        "already recorded (200) and creates nothing.",
    )


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) chosen by the caller, up to 255 characters. "
    "A request repeated with the same key within 24 hours (after a timeout, say) gets the "
    "first answer again (header Idempotent-Replayed: true) and creates nothing; the same "
    "key with another body answers 422; while the first is still running, 409. Every "
    "POST of the API takes it.",
)


class ConversionViewSet(
    ChangeFeedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceViewSet,
):
    """Conversions (sales, sign-ups, leads, donations, coupon redemptions), attributed
    to a campaign by click id first, then coupon code, else unattributed. Every member
    reads them. Admins and department leads and members (CRM or shop integration users
    included) record them; a repeated request (same `external_id` or `Idempotency-Key`)
    answers 200 with the conversion already recorded."""

    output_serializer_class = ConversionSerializer
    create_serializer_class = ConversionCreateSerializer
    filterset_class = ConversionFilterSet

    def get_queryset(self) -> QuerySet[Conversion]:
        return selectors.conversion_list(user=self.request.user)

    @extend_schema(
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ConversionCreateSerializer,
        responses={
            201: ConversionSerializer,
            200: OpenApiResponse(
                ConversionSerializer,
                description="Already recorded under this external_id; nothing new was created.",
            ),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A repeated Idempotency-Key never reaches here: socialops.idempotency replays the
        # first answer (or refuses another body with the same key) for 24 hours.
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversion = services.conversion_record(
            actor=request.user, channel=Conversion.Channel.API, **serializer.validated_data
        )
        return self.answer(
            conversion, status.HTTP_201_CREATED if conversion.was_created else status.HTTP_200_OK
        )


router.register("offers", OfferViewSet, basename="offer")
router.register("conversions", ConversionViewSet, basename="conversion")
