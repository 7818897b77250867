"""Campaigns, the tracked short links that point into them, and the clicks on those links."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from departments.models import Department, Goal

# Only what a browser may be sent to: no javascript:, data:, ftp: or host-less URLs.
validate_destination = URLValidator(
    schemes=["http", "https"], message="Enter a full web address starting with http:// or https://."
)


class Campaign(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=120)
    objective = models.CharField(max_length=20, choices=Goal.Objective.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Default UTM tags for the campaign's links, so every department tags links the same way.
    utm_source = models.CharField(max_length=60, default="x")
    utm_medium = models.CharField(max_length=60, default="social")
    utm_campaign = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The campaign cannot end before it starts."})


class TrackedLink(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    destination = models.URLField(max_length=2000, validators=[validate_destination])
    utm_source = models.CharField(max_length=60, blank=True)
    utm_medium = models.CharField(max_length=60, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=16, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"/l/{self.code} → {self.destination}"


class Click(models.Model):
    """One request to a short link. Bots (crawlers, link unfurlers) are stored but flagged,
    and are not counted as clicks."""

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="clicks")
    clicked_at = models.DateTimeField()
    referrer = models.CharField(max_length=500, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    is_bot = models.BooleanField(default=False)
    # sha256 of IP + user agent + the day's salt: counts unique visitors per day without
    # keeping an IP address.
    visitor_key = models.CharField(max_length=64, blank=True)
    # Appended to the destination as sc_cid; unique, so a click written twice (buffer
    # and direct, or a flush re-run) is stored once.
    click_id = models.CharField(max_length=32, unique=True)

    class Meta:
        ordering = ["-clicked_at"]
        indexes = [models.Index(fields=["link", "clicked_at"], name="click_link_time")]

    def __str__(self) -> str:
        return f"{self.click_id} on {self.link_id}"
