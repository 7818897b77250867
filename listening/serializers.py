"""What other apps' APIs name of the listening app: an X account by id (among those the
caller may see) and answered as a summary."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listening import selectors
from listening.models import XAccount
from socialops.permissions import request_user


@extend_schema_field(OpenApiTypes.INT)
class AccountIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[XAccount]:
        return selectors.account_list(user=request_user(self))


class AccountSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = XAccount
        fields = ["id", "username"]
        read_only_fields = fields
