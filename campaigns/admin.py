from django.contrib import admin

from campaigns.models import (
    ApprovalRule,
    CalendarFeed,
    Campaign,
    Click,
    Conversion,
    Offer,
    PostEvent,
    PostPart,
    RecurringSlot,
    ScheduledPost,
    TimeEntry,
    TrackedLink,
    UtmTag,
)


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
class ScheduledPostAdmin(admin.ModelAdmin):
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


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "valid_from", "valid_until", "value_kind", "value"]
    search_fields = ["code", "description"]


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "currency", "occurred_at", "attribution", "campaign"]
    list_filter = ["kind", "attribution", "channel"]
    search_fields = ["external_id", "click_id", "coupon_code"]
    raw_id_fields = ["link", "offer", "campaign"]


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "day", "minutes", "activity", "campaign", "department"]
    list_filter = ["activity", "department"]
    raw_id_fields = ["campaign"]
