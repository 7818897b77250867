"""REST API for the time log (/api/v1/time-entries/).

Everyone logs, changes and deletes their own entries. Lists are narrowed like the pages:
your own entries; a department lead also sees the entries logged against their
department; an organisation admin sees all. Changing someone else's entry you can see
answers 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field, extend_schema_view
from rest_framework import serializers

from campaigns.models import TimeEntry
from campaigns.offers.api import CampaignIdField, CampaignRefSerializer
from campaigns.timelog import selectors, services
from campaigns.timelog.filters import TimeEntryFilterSet
from departments.api import DepartmentSummarySerializer, UserSummarySerializer
from departments.models import Department
from departments.selectors import department_list
from socialops import drf
from socialops.api import ServiceModelViewSet, Services, answers_with, router


def _request_user(field: serializers.Field) -> Any:
    request = field.context.get("request")
    return getattr(request, "user", None)


@extend_schema_field(drf.SLUG_SCHEMA)
class TimeDepartmentField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The department's slug; one you belong to.")
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self) -> QuerySet[Department]:
        user = _request_user(self)
        return department_list(user=user) if user else Department.objects.none()


class TimeEntrySerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    campaign = CampaignRefSerializer(read_only=True, allow_null=True)
    department = DepartmentSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "user",
            "day",
            "minutes",
            "activity",
            "campaign",
            "department",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TimeEntryInputSerializer(serializers.Serializer):
    day = drf.DateField(help_text="Not in the future (organisation's time zone).")
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=1440,
        help_text="1 to 1,440; at most 1,440 a day across your entries.",
    )
    activity = serializers.ChoiceField(choices=TimeEntry.Activity.choices)
    campaign = CampaignIdField(
        allow_null=True, required=False, help_text="The campaign's id, if the time was for one."
    )
    department = TimeDepartmentField(allow_null=True, required=False)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)


@extend_schema_view(**answers_with(TimeEntrySerializer))
class TimeEntryViewSet(ServiceModelViewSet):
    """Time entries: who spent how long on which kind of work. Your own entries, plus,
    for a department lead, those logged against their department; admins see all. Only
    an entry's author changes or deletes it."""

    output_serializer_class = TimeEntrySerializer
    create_serializer_class = TimeEntryInputSerializer
    update_serializer_class = TimeEntryInputSerializer
    filterset_class = TimeEntryFilterSet

    use = Services(
        selector=selectors.time_entries_visible_to,
        create=services.time_entry_create,
        update=services.time_entry_update,
        delete=services.time_entry_delete,
        instance="entry",
    )


router.register("time-entries", TimeEntryViewSet, basename="time-entry")
