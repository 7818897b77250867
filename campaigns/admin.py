"""Admin for the campaigns core (campaigns, the UTM registry); each concept registers its
own models from its folder's admin.py, imported below."""

from django.contrib import admin

# Django imports <app>.admin only: the concepts' admin modules register on import.
import campaigns.calendar.admin
import campaigns.links.admin
import campaigns.offers.admin
import campaigns.timelog.admin  # noqa: F401
from campaigns.links.admin import links_mark
from campaigns.models import Campaign, Conversion, ScheduledPost, TimeEntry, TrackedLink, UtmTag
from socialops.admin import MarksAdmin
from socialops.marks import Family, mark_all, mark_rows


@admin.register(UtmTag)
class UtmTagAdmin(admin.ModelAdmin):
    list_display = ["parameter", "value", "description", "is_active"]
    list_filter = ["parameter", "is_active"]
    search_fields = ["value", "description"]


@admin.register(Campaign)
class CampaignAdmin(MarksAdmin):
    list_display = ["name", "department", "objective", "status", "period_start", "period_end"]
    list_filter = ["status", "objective", "department"]
    search_fields = ["name"]
    filter_horizontal = ["goals"]

    def metrics_mark(self, obj: Campaign) -> None:
        """Its spend's days, and the days of everything attributed through it (its
        department, here, can change)."""
        if obj.spend:
            mark_all(Family.SPEND, obj.period_start, obj.period_end)
        links_mark(TrackedLink.objects.filter(campaign=obj).values("pk"))
        mark_rows(Family.CONVERSIONS, Conversion.objects.filter(campaign=obj), "occurred_at")
        mark_rows(Family.TIME, TimeEntry.objects.filter(campaign=obj), "day")
        published = ScheduledPost.objects.filter(
            campaign=obj, status=ScheduledPost.Status.PUBLISHED
        )
        mark_rows(Family.POSTS, published, "published_at")
