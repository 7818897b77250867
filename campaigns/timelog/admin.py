"""Admin for the time log."""

from django.contrib import admin

from campaigns.models import TimeEntry


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "day", "minutes", "activity", "campaign", "department"]
    list_filter = ["activity", "department"]
    raw_id_fields = ["campaign"]
