"""Campaigns, the editorial calendar, tracked links and clicks, offers and conversions,
and the time log — one module per concept."""

from campaigns.models.campaigns import Campaign, UtmTag
from campaigns.models.links import Click, TrackedLink, validate_destination
from campaigns.models.offers import Conversion, Offer
from campaigns.models.posts import (
    ApprovalRule,
    CalendarFeed,
    ContentCategory,
    PostApproval,
    PostEvent,
    PostPart,
    RecurringSlot,
    ScheduledPost,
)
from campaigns.models.timelog import TimeEntry

__all__ = [
    "ApprovalRule",
    "CalendarFeed",
    "Campaign",
    "Click",
    "ContentCategory",
    "Conversion",
    "Offer",
    "PostApproval",
    "PostEvent",
    "PostPart",
    "RecurringSlot",
    "ScheduledPost",
    "TimeEntry",
    "TrackedLink",
    "UtmTag",
    "validate_destination",
]
