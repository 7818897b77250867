"""A campaign as the concepts' APIs (calendar, links, offers, time log) name it: by id,
among the campaigns the caller may pick, and answered as a short reference."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign
from campaigns.selectors import campaign_choices
from socialops.permissions import request_user


@extend_schema_field(OpenApiTypes.INT)
class CampaignIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Campaign]:
        return campaign_choices(user=request_user(self))


class CampaignRefSerializer(serializers.ModelSerializer):
    """A campaign as other objects name it."""

    department = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The department's slug."
    )

    class Meta:
        model = Campaign
        fields = ["id", "name", "department"]
        read_only_fields = fields
