"""The campaigns app's models: the campaigns core defined here (campaigns and the
organisation-wide UTM naming registry), and each concept's models imported from its
folder so that Django registers them and `from campaigns.models import X` serves all.
The concept models refer to the core by "campaigns.Campaign", never by import, so this
module is the one place that imports them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from departments.models import Department, Goal
from socialops.changes import change_field
from socialops.params import validate_day_in_range

# Lower-case words joined by - or _: what analytics tools group on without surprises.
validate_utm_value = RegexValidator(
    r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
    "Use lower-case letters, digits and - or _ (for example spring-sale).",
)


class UtmTag(models.Model):
    """One allowed value of a UTM parameter. Campaigns and links pick from these, so
    every department tags links the same way (x, not X or twitter)."""

    class Parameter(models.TextChoices):
        SOURCE = "utm_source", "Source"
        MEDIUM = "utm_medium", "Medium"
        CAMPAIGN = "utm_campaign", "Campaign"
        CONTENT = "utm_content", "Content"

    parameter = models.CharField(max_length=20, choices=Parameter.choices)
    value = models.CharField(max_length=100, validators=[validate_utm_value])
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["parameter", "value"]
        constraints = [
            models.UniqueConstraint(fields=["parameter", "value"], name="utmtag_unique_value")
        ]

    def __str__(self) -> str:
        return f"{self.parameter}={self.value}"


class Campaign(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=120)
    objective = models.CharField(max_length=20, choices=Goal.Objective.choices)
    goals = models.ManyToManyField(Goal, blank=True, related_name="campaigns")
    description = models.TextField(blank=True)
    period_start = models.DateField(validators=[validate_day_in_range])
    period_end = models.DateField(validators=[validate_day_in_range])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    # In the organisation's currency. Spend is what was paid out (ads, prizes, agency);
    # staff time is costed from the time log, not entered here.
    budget = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    spend = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Default UTM tags for the campaign's links, values from the UtmTag registry.
    utm_source = models.CharField(max_length=60, default="x")
    utm_medium = models.CharField(max_length=60, default="social")
    utm_campaign = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-period_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="campaign_period_order",
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_positive"),
            models.CheckConstraint(condition=Q(spend__gte=0), name="campaign_spend_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The campaign cannot end before it starts."})


# Each concept's models, registered with the app (see the module docstring).
from campaigns.calendar.models import (  # noqa: E402
    ApprovalRule,
    CalendarFeed,
    ContentCategory,
    PostApproval,
    PostEvent,
    PostPart,
    RecurringSlot,
    ScheduledPost,
)
from campaigns.links.models import Click, TrackedLink, validate_destination  # noqa: E402
from campaigns.offers.models import Conversion, Offer  # noqa: E402
from campaigns.timelog.models import TimeEntry  # noqa: E402

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
