"""Admin for the time log."""

from django.contrib import admin

from campaigns.models import TimeEntry
from socialops.admin import MarksAdmin
from socialops.marks import Family, mark, mark_rows


@admin.register(TimeEntry)
class TimeEntryAdmin(MarksAdmin):
    list_display = ["user", "day", "minutes", "activity", "campaign", "department"]
    list_filter = ["activity", "department"]
    raw_id_fields = ["campaign"]

    def metrics_mark(self, obj: TimeEntry) -> None:
        mark(Family.TIME, [obj.day])

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.TIME, queryset, "day")
