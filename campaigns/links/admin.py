"""Admin for tracked links and their clicks."""

from django.contrib import admin

from campaigns.models import Click, Conversion, TrackedLink
from socialops.admin import MarksAdmin
from socialops.marks import Family, mark, mark_rows


def links_mark(links) -> None:
    """Clicks and conversions count for their link's campaign, post, department, account
    and kind: mark their days when links change or go."""
    mark_rows(Family.CLICKS, Click.objects.filter(link__in=links), "clicked_at")
    mark_rows(Family.CONVERSIONS, Conversion.objects.filter(link__in=links), "occurred_at")


@admin.register(TrackedLink)
class TrackedLinkAdmin(MarksAdmin):
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

    def metrics_mark(self, obj: TrackedLink) -> None:
        links_mark([obj.pk])

    def metrics_mark_many(self, queryset) -> None:
        links_mark(queryset.values("pk"))


@admin.register(Click)
class ClickAdmin(MarksAdmin):
    list_display = ["click_id", "link", "clicked_at", "is_bot"]
    list_filter = ["is_bot"]
    search_fields = ["click_id", "link__code"]
    list_select_related = ["link"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def metrics_mark(self, obj: Click) -> None:
        mark(Family.CLICKS, [obj.clicked_at])

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.CLICKS, queryset, "clicked_at")
