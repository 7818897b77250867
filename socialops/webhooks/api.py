"""REST API for webhook endpoints and their delivery log (organisation admins only; anyone
else gets 403): `/api/v1/webhook-endpoints/` (the secret is in the answer to the create and
to `rotate-secret/` only), `/api/v1/webhook-deliveries/` with `replay/`, and
`resend-failed/` per endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from socialops import drf
from socialops.api import ServiceModelViewSet, Services, ServiceViewSet, answers_with, router
from socialops.webhooks import selectors, services
from socialops.webhooks.events import EVENT_TYPES
from socialops.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from socialops.webhooks.permissions import can_manage_webhooks


class OrganisationAdminsOnly(permissions.BasePermission):
    message = services.ONLY_ADMINS

    def has_permission(self, request, view) -> bool:
        return can_manage_webhooks(request.user)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    event_types = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty: every event type."
    )
    pending = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)
    delivered = serializers.IntegerField(read_only=True)
    previous_secret_until = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="After a rotation, the old secret signs too until then.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "enabled",
            "disabled_reason",
            "owner",
            "failing_since",
            "previous_secret_until",
            "pending",
            "failed",
            "delivered",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="whsec_…: shown in this answer only. Verify each webhook-signature with it.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = drf.CharField(
        max_length=500,
        pattern=r"^https?://",
        help_text="http(s) address; private and loopback addresses are refused in production.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        required=False,
        max_length=len(EVENT_TYPES),
        help_text="The event types it receives; empty or left out: every one.",
    )
    enabled = serializers.BooleanField(required=False)


class ResendFailedSerializer(serializers.Serializer):
    since = drf.DateTimeField(help_text="Deliveries of events from then on that failed.")


@extend_schema_view(
    **{
        **answers_with(WebhookEndpointSerializer),
        "create": extend_schema(responses={201: WebhookEndpointWithSecretSerializer}),
    }
)
class WebhookEndpointViewSet(ServiceModelViewSet):
    """Where events are POSTed, signed the Standard Webhooks way. Organisation admins
    only."""

    permission_classes = [permissions.IsAuthenticated, OrganisationAdminsOnly]
    output_serializer_class = WebhookEndpointSerializer
    create_serializer_class = WebhookEndpointInputSerializer
    update_serializer_class = WebhookEndpointInputSerializer
    use = Services(
        selector=selectors.endpoint_list,
        create=services.endpoint_create,
        update=services.endpoint_update,
        delete=services.endpoint_delete,
        instance="endpoint",
    )

    def _with_secret(self, endpoint: WebhookEndpoint, code: int) -> Response:
        shown = self.get_queryset().get(pk=endpoint.pk)
        shown.secret = endpoint.secret
        return Response(WebhookEndpointWithSecretSerializer(shown).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = self.perform_create(serializer)
        return self._with_secret(endpoint, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=WebhookEndpointWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new secret (in this answer only); the old one signs beside it for a day."""
        endpoint = services.endpoint_rotate_secret(actor=request.user, endpoint=self.get_object())
        return self._with_secret(endpoint, status.HTTP_200_OK)

    @extend_schema(
        request=ResendFailedSerializer,
        responses=inline_serializer("ResendFailedAnswer", {"resent": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"], url_path="resend-failed")
    def resend_failed(self, request: Request, pk: str | None = None) -> Response:
        """Send again every failed delivery of events since `since`."""
        serializer = ResendFailedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.deliveries_resend_failed(
            actor=request.user, endpoint=self.get_object(), **serializer.validated_data
        )
        return Response({"resent": count})


class EventSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    msg_id = serializers.CharField(help_text="The webhook-id header the receiver gets.")
    type = serializers.CharField()
    created_at = serializers.DateTimeField()


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "at",
            "url",
            "request_headers",
            "response_status",
            "response_body",
            "error",
            "duration_ms",
            "succeeded",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event = EventSummarySerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text="pending, delivered or failed.")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.JSONField(source="event.payload", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload", "attempt_log"]


class DeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Delivery.Status.choices)
    event_type = django_filters.ChoiceFilter(
        field_name="event__type", choices=[(t, t) for t in sorted(EVENT_TYPES)]
    )

    class Meta:
        model = Delivery
        fields = ["endpoint", "status", "event_type"]


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """The delivery log: each event to each endpoint, its attempts, and replay."""

    permission_classes = [permissions.IsAuthenticated, OrganisationAdminsOnly]
    output_serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    def get_queryset(self) -> QuerySet[Delivery]:
        queryset = selectors.delivery_list(user=self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("attempt_log")
        return queryset

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Send it again now, under the same webhook-id."""
        delivery = services.delivery_replay(actor=request.user, delivery=self.get_object())
        return self.answer(delivery, status.HTTP_202_ACCEPTED)


router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
