"""Serializer fields and summaries every app's API shares: people, named by username and
answered as a summary. Each app's own references others may use (a department, an X
account, a campaign) live in that app's serializers.py, beside its selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from socialops import drf
from socialops.models import User


@extend_schema_field(drf.SLUG_SCHEMA)
class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "A username.")
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.filter(is_active=True)


class UserSummarySerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields
