"""Admin for the editorial calendar: posts (read-only), approval rules, slots, feeds."""

from django.contrib import admin

from campaigns.links.admin import links_mark
from campaigns.models import (
    ApprovalRule,
    CalendarFeed,
    PostEvent,
    PostPart,
    RecurringSlot,
    ScheduledPost,
    TrackedLink,
)
from socialops.admin import MarksAdmin
from socialops.marks import Family, mark


class PostPartInline(admin.TabularInline):
    model = PostPart
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PostEventInline(admin.TabularInline):
    model = PostEvent
    extra = 0
    readonly_fields = ["action", "actor", "department", "note", "at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScheduledPost)
class ScheduledPostAdmin(MarksAdmin):
    list_display = ["__str__", "department", "account", "status", "scheduled_at", "x_post_id"]
    list_filter = ["status", "kind", "category", "department"]
    search_fields = ["text"]
    raw_id_fields = ["campaign", "offer", "slot", "owner", "created_by"]
    readonly_fields = ["claim_token", "claimed_at", "attempts", "x_post_id", "published_at"]
    inlines = [PostPartInline, PostEventInline]

    # Read-only here: a post changes on the calendar, whose services keep the four-eyes
    # rule (an edit here would change approved words, or approve, without anyone's eyes).
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def metrics_mark(self, obj: ScheduledPost) -> None:
        """A deleted post: it no longer counts as published, and its links' clicks and
        conversions no longer count for it."""
        if obj.status == ScheduledPost.Status.PUBLISHED or obj.x_post_id:
            mark(Family.POSTS, [obj.published_at])
        links_mark(TrackedLink.objects.filter(post=obj).values("pk"))


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ["department", "approver_department", "category", "only_with_offer"]
    list_filter = ["department", "approver_department"]


@admin.register(RecurringSlot)
class RecurringSlotAdmin(admin.ModelAdmin):
    list_display = ["title", "department", "weekday", "time", "every_weeks", "is_active"]
    list_filter = ["department", "is_active"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by", "created_at"]
    readonly_fields = ["token"]
