from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from socialops.models import AuditEvent, Heartbeat, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    pass


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr", "department"]
    list_filter = ["action", "object_type", "department"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "at"

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
