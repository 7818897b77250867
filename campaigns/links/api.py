"""REST API for tracked links and their clicks (registers on socialops.api.router).

Links are made through link_create_tagged() (rights, http(s) destinations only, UTM
values from the registry: 400 with field errors, 403 for another department's
campaign). Clicks are read-only, bots included and flagged; no visitor IP is stored,
so none is served."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from campaigns.links.filters import ClickFilterSet, LinkFilterSet
from campaigns.links.selectors import clicks_visible_to, link_tags, links_visible_to
from campaigns.links.services import link_create_tagged
from campaigns.models import Click, TrackedLink
from campaigns.serializers import CampaignIdField
from socialops import drf
from socialops.api import ChangeFeedMixin, ServiceCreateMixin, ServiceViewSet, router
from socialops.serializers import UserSummarySerializer


class TagsSerializer(serializers.Serializer):
    utm_source = serializers.CharField(required=False)
    utm_medium = serializers.CharField(required=False)
    utm_campaign = serializers.CharField(required=False)
    utm_content = serializers.CharField(required=False)


class LinkSerializer(serializers.ModelSerializer):
    short_url = serializers.SerializerMethodField(help_text="The address to share.")
    tags = serializers.SerializerMethodField(
        help_text="The UTM tags a visitor's destination gets: the link's own, else its campaign's."
    )
    click_count = serializers.IntegerField(read_only=True, help_text="Bots left out.")
    unique_visitors = serializers.IntegerField(read_only=True, help_text="Counted per day.")
    created_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = TrackedLink
        fields = [
            "id",
            "code",
            "short_url",
            "destination",
            "campaign",
            "post",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "tags",
            "click_count",
            "unique_visitors",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_short_url(self, link: TrackedLink) -> str:
        path = reverse("shortlinks:follow", args=[link.code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(TagsSerializer)
    def get_tags(self, link: TrackedLink) -> dict[str, str]:
        return link_tags(link)


class LinkCreateSerializer(serializers.Serializer):
    # A CharField, not a URLField: the service decides what a destination may be
    # (http and https only) and answers with the same field error as the pages.
    destination = drf.CharField(
        max_length=2000,
        pattern=r"^https?://[^\s/?#]+\.[^\s]+$",
        schema_format="uri",
        help_text="A full http:// or https:// address.",
    )
    campaign = CampaignIdField(
        allow_null=True,
        required=False,
        help_text="The campaign's id: its UTM tags are added to the destination.",
    )
    utm_source = serializers.CharField(
        max_length=60, allow_blank=True, required=False, help_text="Default: the campaign's."
    )
    utm_medium = serializers.CharField(
        max_length=60, allow_blank=True, required=False, help_text="Default: the campaign's."
    )
    utm_campaign = serializers.CharField(
        max_length=100, allow_blank=True, required=False, help_text="Default: the campaign's."
    )
    utm_content = serializers.CharField(
        max_length=100,
        allow_blank=True,
        required=False,
        help_text="An active utm_content value of /api/v1/utm-tags/.",
    )


class ClickSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(
        source="link.campaign_id", read_only=True, allow_null=True, help_text="Its id."
    )

    class Meta:
        model = Click
        fields = [
            "id",
            "link",
            "campaign",
            "clicked_at",
            "referrer",
            "user_agent",
            "is_bot",
            "click_id",
        ]
        read_only_fields = fields


@extend_schema_view(create=extend_schema(responses={201: LinkSerializer}))
class LinkViewSet(
    ChangeFeedMixin,
    ServiceCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceViewSet,
):
    """Tracked short links with their click counts; every member reads them. A
    campaign's links are made by its department's leads and members."""

    output_serializer_class = LinkSerializer
    create_serializer_class = LinkCreateSerializer
    filterset_class = LinkFilterSet

    def get_queryset(self) -> QuerySet[TrackedLink]:
        return links_visible_to(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> TrackedLink:
        data: dict[str, Any] = serializer.validated_data
        return link_create_tagged(actor=self.request.user, **data)


class ClickViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every request to a short link, oldest first, bots included (`is_bot`). Clicks
    wait in the buffer for a few seconds before they are listed. `click_id` is the
    `sc_cid` the visitor's destination received."""

    serializer_class = ClickSerializer
    filterset_class = ClickFilterSet

    def get_queryset(self) -> QuerySet[Click]:
        return clicks_visible_to(user=self.request.user)


router.register("links", LinkViewSet, basename="link")
router.register("clicks", ClickViewSet, basename="click")
