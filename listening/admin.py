from django.contrib import admin

from listening import selectors
from listening.models import FollowerCount, InboxItem, Source, SourceRun, Tweet, XAccount, XUser

# The admin is for organisation admins fixing data by hand; it bypasses the services'
# audit trail. It still reads sources and posts through the selectors: a rep's private
# list stays theirs here too. Tokens are never shown.


@admin.register(XAccount)
class XAccountAdmin(admin.ModelAdmin):
    list_display = ["username", "name", "auth", "status", "last_success_at", "token_expires_at"]
    list_filter = ["auth", "status"]
    search_fields = ["username", "name"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = ["x_user_id", "token_expires_at", "scopes", "last_success_at", "last_error"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
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


@admin.register(SourceRun)
class SourceRunAdmin(admin.ModelAdmin):
    list_display = ["source", "started_at", "status", "pages", "posts_read", "posts_new", "cost"]
    list_filter = ["status"]
    date_hierarchy = "started_at"

    def get_queryset(self, request):
        visible = selectors.source_list(user=request.user)
        return SourceRun.objects.filter(source__in=visible).select_related("source")


@admin.register(XUser)
class XUserAdmin(admin.ModelAdmin):
    list_display = ["username", "name", "followers_count", "verified", "fetched_at"]
    search_fields = ["username", "name"]
    readonly_fields = ["id", "raw", "fetched_at"]

    def get_queryset(self, request):
        return selectors.xuser_list(user=request.user)


@admin.register(Tweet)
class TweetAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "created_at", "lang", "like_count", "impression_count"]
    search_fields = ["text"]
    readonly_fields = ["id", "author", "raw", "first_seen_at", "updated_at"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.tweet_list(user=request.user)


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    list_display = ["tweet_id", "account", "department", "status", "assignee", "received_at"]
    list_filter = ["status", "department"]
    raw_id_fields = ["tweet", "assignee"]


@admin.register(FollowerCount)
class FollowerCountAdmin(admin.ModelAdmin):
    list_display = ["account", "day", "followers"]
    list_filter = ["account"]
