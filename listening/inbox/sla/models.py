"""SLA policies: per department and priority, the targets for the first response, the
next responses and the resolution, in business hours (the department's opening hours and
holidays) or in calendar time. Registered through the listening app."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from listening.inbox.models import Priority

# At this share of a target used, a conversation is at risk.
AT_RISK = 0.75
_MINUTES = [MinValueValidator(1), MaxValueValidator(60 * 24 * 366)]


class SlaPolicy(models.Model):
    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="sla_policies"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=_MINUTES, help_text="Blank: no target."
    )
    next_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=_MINUTES, help_text="Blank: no target."
    )
    resolution_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=_MINUTES, help_text="Blank: no target."
    )
    business_hours = models.BooleanField(
        default=True,
        help_text="Count only the department's opening hours (else: every minute).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department__name", "priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "priority"],
                name="sla_policy_one_per_priority",
                violation_error_message="This department already has a policy for this priority.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.get_priority_display()}"

    def clean(self) -> None:
        if not any(
            (self.first_response_minutes, self.next_response_minutes, self.resolution_minutes)
        ):
            raise ValidationError("Set at least one target.")
