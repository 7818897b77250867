"""Tracked short links and the clicks on them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

from socialops.changes import change_field

# Only what a browser may be sent to: no javascript:, data:, ftp: or host-less URLs.
validate_destination = URLValidator(
    schemes=["http", "https"], message="Enter a full web address starting with http:// or https://."
)


class TrackedLink(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    # The scheduled post whose text carries this link (set when the post is scheduled).
    post = models.ForeignKey(
        "campaigns.ScheduledPost",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="links",
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

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

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
        indexes = [
            models.Index(fields=["link", "clicked_at"], name="click_link_time"),
            # The metrics rollup recomputes a few days of clicks at a time (every minute for
            # the days marked): without it, each pass reads every click ever made.
            models.Index(fields=["clicked_at"], name="click_time"),
        ]

    def __str__(self) -> str:
        return f"{self.click_id} on {self.link_id}"
