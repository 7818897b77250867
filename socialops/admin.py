from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from socialops.models import ApiToken, AuditEvent, Heartbeat, User
from socialops.selectors import audit_event_list


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens by prefix: the secret is never stored, so nothing here can reveal it. An admin
    may revoke (delete) a token; making one is the user's own API token page."""

    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username", "name"]
    fields = [*list_display, "scopes", "last_used_ip"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr", "department"]
    list_filter = ["action", "object_type", "department"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        # The same rule as the pages: a private thing's rows are its owner's alone.
        return audit_event_list(user=request.user)

    # The audit trail is evidence: nobody edits or deletes it, admins included.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen", "detail"]
