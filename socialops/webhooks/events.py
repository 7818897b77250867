"""The event types the product emits: its catalogue for pages, the API and the README.
Apps emit them with socialops.webhooks.services.event_emit, in the change's transaction."""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "conversion.created": "A conversion was recorded (API, form or shop).",
    "conversion.refunded": "A conversion was refunded.",
    "prospect.created": "A prospect was added to a rep's list.",
    "prospect.stage_changed": "A prospect moved to another funnel stage.",
    "interaction.created": "An interaction with a prospect was logged.",
    "conversation.created": "A mention or DM started a conversation in the inbox.",
    "conversation.assigned": "A conversation was assigned to someone.",
    "conversation.resolved": "A conversation was resolved.",
    "post.published": "A scheduled post went out on X.",
    "post.failed": "A scheduled post failed to go out.",
    "review.closed": "A weekly steering review was closed (its numbers frozen).",
    "kpi.colour_changed": "A KPI turned red, amber or green.",
}
