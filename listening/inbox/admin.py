from django.contrib import admin

from listening.inbox.models import (
    Agent,
    Conversation,
    DepartmentInbox,
    InboxSettings,
    Reply,
    RoutingRule,
    SavedReply,
)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "department", "priority", "enabled"]
    list_editable = ["enabled"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "department", "status", "priority", "assignee", "last_message_at"]
    list_filter = ["kind", "status", "priority", "department"]
    raw_id_fields = ["author", "assignee", "private_to"]


admin.site.register([Agent, DepartmentInbox, InboxSettings, SavedReply])


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["pk", "conversation", "kind", "state", "x_post_id", "created_at"]
    list_filter = ["state", "kind"]
