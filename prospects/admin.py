"""Admin pages for prospects, narrowed by the same selectors as every other page: an
organisation admin sees only their own lists and prospects here, like anyone (a rep's
lists are theirs). Stages are the organisation's and open to admins."""

from __future__ import annotations

from django.contrib import admin

from prospects import selectors
from prospects.models import Interaction, Prospect, ProspectList, Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "position", "is_lost"]
    ordering = ["is_lost", "position"]


class _ReadThroughSelectors(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProspectList)
class ProspectListAdmin(_ReadThroughSelectors):
    list_display = ["name", "owner", "account", "x_list_id", "sync_state", "last_synced_at"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return selectors.prospect_list_list(user=request.user)


@admin.register(Prospect)
class ProspectAdmin(_ReadThroughSelectors):
    list_display = ["__str__", "owner", "company", "stage", "crm_id"]
    search_fields = ["name", "company", "x_user__username", "crm_id"]

    def get_queryset(self, request):
        return selectors.prospect_list_visible(user=request.user)


@admin.register(Interaction)
class InteractionAdmin(_ReadThroughSelectors):
    list_display = ["prospect", "kind", "occurred_at", "actor"]

    def get_queryset(self, request):
        return selectors.interaction_list(user=request.user)
