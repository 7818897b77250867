"""The weekly steering-committee review and what is recorded in it.

Who the representatives are: a department's members whose membership is marked
`is_representative` (departments.Membership, "steering-committee representative"); a
department that marks nobody is represented by its leads. metrics.reviews.permissions
holds that rule (`representatives`), used by pages, API, digest and the frozen record.

A review is one ISO week (Monday first; the organisation has no first-weekday setting,
and the stable URL /reviews/2026-W49/ is an ISO week) of the organisation's calendar (its
time zone). While open its numbers are read live from the rollup as of the week's last
day (or today, before then); closing stores them once as canonical JSON text (the bytes
that are hashed), the HTML rendered from it and the PDF: nothing later changes them.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from departments.models import KPI, Department, Membership
from socialops.changes import change_field


def week_label(monday) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class Review(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    week_start = models.DateField(unique=True, help_text="The Monday of the ISO week.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The frozen record, set when closed: the JSON exactly as hashed (text, not jsonb,
    # which would reorder keys), the HTML rendered from it, the PDF (when WeasyPrint runs).
    frozen_json = models.TextField(blank=True)
    frozen_sha256 = models.CharField(max_length=64, blank=True)
    frozen_html = models.TextField(blank=True)
    frozen_pdf = models.BinaryField(null=True, blank=True)
    # The digests, claimed with a conditional UPDATE so each is sent once.
    open_digest_sent_at = models.DateTimeField(null=True, blank=True)
    close_digest_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"Review {self.week}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", kwargs={"week": self.week})

    def clean(self) -> None:
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": "A review's week starts on a Monday."})

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Commentary(models.Model):
    """Why a KPI stands where it does, and what the department does about it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="commentaries")
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="review_commentaries")
    text = models.TextField(max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "commentaries"
        constraints = [
            models.UniqueConstraint(fields=["review", "kpi"], name="commentary_one_per_kpi")
        ]

    def __str__(self) -> str:
        return f"{self.kpi} in {self.review}"

    def clean(self) -> None:
        if not (self.text or "").strip():
            raise ValidationError({"text": "Say why, and what we do about it."})


class Attendance(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="attendances")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "department", "user"], name="attendance_one_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {'present' if self.present else 'absent'} at {self.review}"


class ActionItem(models.Model):
    """Something a department does before a later review. An open item is carried over
    from week to week until done or dropped."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_action_items",
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="review_action_items"
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_in = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="raised_items")
    finished_on = models.DateField(
        null=True, blank=True, help_text="The day it was marked done or dropped."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["status", "raised_in"], name="action_item_status")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if not (self.title or "").strip():
            raise ValidationError({"title": "Say what is to be done."})
        if self.owner_id and self.department_id:
            member = Membership.objects.filter(
                user_id=self.owner_id, department_id=self.department_id
            ).exists()
            if not member and not getattr(self.owner, "is_org_admin", False):
                raise ValidationError({"owner": "Pick someone of the department."})


class Decision(models.Model):
    """What the committee decided. Append-only: a correction is a new decision that
    supersedes the earlier one (which stays, marked superseded)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="decisions")
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the whole committee's.",
    )
    text = models.TextField(max_length=4000)
    decided_on = models.DateField()
    decided_by = models.CharField(
        max_length=200, help_text="Who decided: a person, or “the committee”."
    )
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_on", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    def clean(self) -> None:
        errors = {}
        if not (self.text or "").strip():
            errors["text"] = "Write the decision down."
        if not (self.decided_by or "").strip():
            errors["decided_by"] = "Say who decided."
        if errors:
            raise ValidationError(errors)


class ReviewReopen(models.Model):
    """An admin reopened a closed review; the record it had is kept here."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reopens")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    at = models.DateTimeField(auto_now_add=True)
    previous_sha256 = models.CharField(max_length=64)
    previous_json = models.TextField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.review} reopened"

    def clean(self) -> None:
        if not (self.reason or "").strip():
            raise ValidationError({"reason": "Say why the review is reopened."})
