from django.contrib import admin

from listening import selectors
from listening.models import (
    DirectMessage,
    FollowerCount,
    InboxItem,
    Source,
    SourceRun,
    Tweet,
    XAccount,
    XUser,
)
from socialops.admin import MarksAdmin
from socialops.marks import Family, mark, mark_rows

# The admin is for organisation admins fixing data by hand; it bypasses the services'
# audit trail. It still reads sources and posts through the selectors: a rep's private
# list stays theirs here too. Tokens are never shown.


@admin.register(XAccount)
class XAccountAdmin(MarksAdmin):
    list_display = ["username", "name", "auth", "status", "last_success_at", "token_expires_at"]
    list_filter = ["auth", "status"]
    search_fields = ["username", "name"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = ["x_user_id", "token_expires_at", "scopes", "last_success_at", "last_error"]

    def metrics_mark(self, obj: XAccount) -> None:
        """What counts for the account: its posts, mentions, followers and reads."""
        if obj.x_user_id:
            mark_rows(Family.POSTS, Tweet.objects.filter(author_id=obj.x_user_id), "created_at")
        mark_rows(Family.MENTIONS, InboxItem.objects.filter(account=obj), "received_at")
        mark_rows(Family.FOLLOWERS, FollowerCount.objects.filter(account=obj), "day")
        runs = SourceRun.objects.filter(source__account=obj, cost__gt=0)
        mark_rows(Family.X_SPEND, runs, "started_at")


@admin.register(Source)
class SourceAdmin(MarksAdmin):
    list_display = ["name", "kind", "account", "department", "enabled", "last_result"]
    list_filter = ["kind", "enabled", "last_result"]
    search_fields = ["name", "query"]
    # What a source reads (and so who may see its posts) is decided by the services'
    # rules on the sources pages: a private list stays its owner's, and nobody follows it
    # a second time. The admin can pause, rename or re-route a source, not re-aim it.
    readonly_fields = [
        "kind",
        "account",
        "query",
        "x_list_id",
        "is_private",
        "owner",
        "since_id",
        "pending_since_id",
        "page_token",
        "lease_token",
        "lease_until",
    ]

    def get_queryset(self, request):
        return selectors.source_list(user=request.user)

    def has_add_permission(self, request):
        return False

    def metrics_mark(self, obj: Source) -> None:
        """Its runs' spend counts for its department (which the admin may change)."""
        runs = SourceRun.objects.filter(source=obj, cost__gt=0)
        mark_rows(Family.X_SPEND, runs, "started_at")


@admin.register(SourceRun)
class SourceRunAdmin(MarksAdmin):
    list_display = ["source", "started_at", "status", "pages", "posts_read", "posts_new", "cost"]
    list_filter = ["status"]
    date_hierarchy = "started_at"

    def get_queryset(self, request):
        visible = selectors.source_list(user=request.user)
        return SourceRun.objects.filter(source__in=visible).select_related("source")

    def metrics_mark(self, obj: SourceRun) -> None:
        mark(Family.X_SPEND, [obj.started_at])

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.X_SPEND, queryset, "started_at")


@admin.register(XUser)
class XUserAdmin(admin.ModelAdmin):
    list_display = ["username", "name", "followers_count", "verified", "fetched_at"]
    search_fields = ["username", "name"]
    readonly_fields = ["id", "raw", "fetched_at"]

    def get_queryset(self, request):
        return selectors.xuser_list(user=request.user)


@admin.register(Tweet)
class TweetAdmin(MarksAdmin):
    list_display = ["id", "author", "created_at", "lang", "like_count", "impression_count"]
    search_fields = ["text"]
    readonly_fields = ["id", "author", "raw", "first_seen_at", "updated_at"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.tweet_list(user=request.user)

    def metrics_mark(self, obj: Tweet) -> None:
        mark(Family.POSTS, [obj.created_at])
        mark_rows(Family.MENTIONS, InboxItem.objects.filter(tweet=obj), "received_at")

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.POSTS, queryset, "created_at")
        mentions = InboxItem.objects.filter(tweet__in=queryset.values("pk"))
        mark_rows(Family.MENTIONS, mentions, "received_at")


@admin.register(DirectMessage)
class DirectMessageAdmin(admin.ModelAdmin):
    """Read-only: DMs are X's record of what was said; admins may read them (selector)."""

    list_display = ["id", "account", "direction", "sender", "created_at"]
    list_filter = ["direction", "account"]
    search_fields = ["text", "dm_conversation_id"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.direct_message_list(user=request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboxItem)
class InboxItemAdmin(MarksAdmin):
    list_display = ["tweet_id", "account", "department", "status", "assignee", "received_at"]
    list_filter = ["status", "department"]
    raw_id_fields = ["tweet", "assignee"]

    def metrics_mark(self, obj: InboxItem) -> None:
        mark(Family.MENTIONS, [obj.received_at])

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.MENTIONS, queryset, "received_at")


@admin.register(FollowerCount)
class FollowerCountAdmin(MarksAdmin):
    list_display = ["account", "day", "followers"]
    list_filter = ["account"]

    def metrics_mark(self, obj: FollowerCount) -> None:
        mark(Family.FOLLOWERS, [obj.day])

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.FOLLOWERS, queryset, "day")


from listening.inbox import admin as inbox_admin  # noqa: E402, F401 — the inbox's models
from listening.inbox.sla import admin as sla_admin  # noqa: E402, F401 — SLA policies
