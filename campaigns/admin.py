from django.contrib import admin

from campaigns.models import Campaign, Click, TrackedLink


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "objective", "status", "period_start", "period_end"]
    list_filter = ["status", "objective", "department"]
    search_fields = ["name"]


@admin.register(TrackedLink)
class TrackedLinkAdmin(admin.ModelAdmin):
    list_display = ["code", "destination", "campaign", "created_by", "created_at"]
    list_filter = ["campaign"]
    search_fields = ["code", "destination"]
    readonly_fields = ["code", "created_by", "created_at"]


@admin.register(Click)
class ClickAdmin(admin.ModelAdmin):
    list_display = ["click_id", "link", "clicked_at", "is_bot"]
    list_filter = ["is_bot"]
    search_fields = ["click_id", "link__code"]
    list_select_related = ["link"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
