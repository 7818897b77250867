from __future__ import annotations

from django.contrib import admin

from listening.inbox.sla.models import SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "department",
        "priority",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "business_hours",
    ]
    list_filter = ["department", "priority", "business_hours"]
