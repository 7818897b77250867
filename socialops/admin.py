from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from socialops.marks import rebuild_later
from socialops.models import ApiToken, AuditEvent, Heartbeat, User
from socialops.selectors import audit_event_list


class MarksAdmin(admin.ModelAdmin):
    """The admin for rows metrics count, or rows others are attributed through (a link's
    clicks, a campaign's spend): a change or delete made by hand marks the days the rows
    counted on before and count on after (socialops.marks), in the admin's transaction,
    as the services do. Each admin says which days in metrics_mark()."""

    def metrics_mark(self, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            if change:
                self.metrics_mark(type(obj)._default_manager.get(pk=obj.pk))  # as stored
            super().save_model(request, obj, form, change)
            self.metrics_mark(obj)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            self.metrics_mark(obj)
            super().delete_model(request, obj)

    def metrics_mark_many(self, queryset) -> None:
        """Mark what a bulk delete of `queryset` moves (an admin whose rows carry their
        day marks them in one query with socialops.marks.mark_rows instead)."""
        for obj in queryset:
            self.metrics_mark(obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            self.metrics_mark_many(queryset)
            super().delete_queryset(request, queryset)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # A person's time entries and private sources (with their runs' X spend) go with
    # them: the metrics are rebuilt.
    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        rebuild_later()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        rebuild_later()


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
