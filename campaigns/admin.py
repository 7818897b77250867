"""Admin for the campaigns core (campaigns, the UTM registry); each concept registers its
own models from its folder's admin.py, imported below."""

from django.contrib import admin

# Django imports <app>.admin only: the concepts' admin modules register on import.
import campaigns.calendar.admin
import campaigns.links.admin
import campaigns.offers.admin
import campaigns.timelog.admin  # noqa: F401
from campaigns.models import Campaign, UtmTag


@admin.register(UtmTag)
class UtmTagAdmin(admin.ModelAdmin):
    list_display = ["parameter", "value", "description", "is_active"]
    list_filter = ["parameter", "is_active"]
    search_fields = ["value", "description"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "objective", "status", "period_start", "period_end"]
    list_filter = ["status", "objective", "department"]
    search_fields = ["name"]
    filter_horizontal = ["goals"]
