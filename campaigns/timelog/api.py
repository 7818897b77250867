"""REST API for the time log (/api/v1/time-entries/).

Everyone logs, changes and deletes their own entries. Lists are narrowed like the pages:
your own entries; a department lead also sees the entries logged against their
department; an organisation admin sees all. Changing someone else's entry you can see
answers 403."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers

from campaigns.models import TimeEntry
from campaigns.serializers import CampaignIdField, CampaignRefSerializer
from campaigns.timelog import selectors, services
from campaigns.timelog.filters import TimeEntryFilterSet
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer
from socialops import drf
from socialops.api import ServiceModelViewSet, Services, answers_with, router
from socialops.serializers import UserSummarySerializer


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
    department = DepartmentSlugField(
        allow_null=True, required=False, help_text="The department's slug; one you belong to."
    )
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
