"""The time log: who spent how long on which kind of social media work. Time × the
organisation's hourly staff cost is the cost side of ROI."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from departments.models import Department
from socialops.params import validate_day_in_range


class TimeEntry(models.Model):
    class Activity(models.TextChoices):
        PLANNING = "planning", "Planning"
        WRITING = "writing", "Writing posts"
        REPLYING = "replying", "Replying"
        DMS = "dms", "Direct messages"
        REPOSTING = "reposting", "Reposting"
        LISTENING = "listening", "Listening"
        REPORTING = "reporting", "Reporting"
        APPROVING = "approving", "Approving"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_entries"
    )
    day = models.DateField(validators=[validate_day_in_range])
    minutes = models.PositiveIntegerField()
    activity = models.CharField(max_length=12, choices=Activity.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="time_entries"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name_plural = "time entries"
        indexes = [models.Index(fields=["user", "day"], name="timeentry_user_day")]
        constraints = [
            # A day has 1,440 minutes; more in one entry is a typo.
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=1440), name="timeentry_minutes"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.day} {self.minutes} min {self.activity}"
