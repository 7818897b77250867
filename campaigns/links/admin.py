"""Admin for tracked links and their clicks."""

from django.contrib import admin

from campaigns.models import Click, TrackedLink


@admin.register(TrackedLink)
class TrackedLinkAdmin(admin.ModelAdmin):
    list_display = ["code", "destination", "campaign", "created_by", "created_at"]
    list_filter = ["campaign"]
    search_fields = ["code", "destination"]
    readonly_fields = ["code", "created_by", "created_at"]
    raw_id_fields = ["post"]

    def get_readonly_fields(self, request, obj=None):
        # A link in an approved post goes where its approvers saw it go, and its clicks
        # were counted for that destination: once made, it is not retargeted.
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "destination", "post"]


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
