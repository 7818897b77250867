"""The daily rollup: every computed metric, per day of the organisation's calendar and per
dimension (the organisation, a department, an X account, a campaign, a tracked link, a
source, an activity kind, a department's activity kind). Pages, the API and KPIs read these
rows, never the raw ones; metrics.facts computes them from the raw rows and
`metrics_verify` re-checks them."""

from __future__ import annotations

from django.db import models


class Dim(models.TextChoices):
    ORG = "org", "Organisation"
    DEPARTMENT = "department", "Department"
    ACCOUNT = "account", "X account"
    CAMPAIGN = "campaign", "Campaign"
    LINK = "link", "Tracked link"
    SOURCE = "source", "Source"
    ACTIVITY = "activity", "Activity kind"
    # One department's activity kind, for the activities page: the id packs both
    # (metrics.facts.department_activity_id).
    DEPARTMENT_ACTIVITY = "dep_activity", "Department × activity kind"
    # One department's calendar post, for its top posts by clicks: the id packs both
    # (metrics.facts.department_post_id), so one department's cells of a day are adjacent.
    DEPARTMENT_POST = "dep_post", "Department × post"
    # A sales rep (a user id) and a funnel stage, for the sales figures: counts only, never
    # a prospect (metrics.facts.prospects).
    REP = "rep", "Sales rep"
    STAGE = "stage", "Funnel stage"
    # A person (a user's id): the inbox's figures per agent.
    PERSON = "person", "Person"


# The dimensions a series or a KPI may name (the packed department × activity and
# department × post cells serve the activities page and the top posts, which read them whole).
PACKED_DIMS = (Dim.DEPARTMENT_ACTIVITY, Dim.DEPARTMENT_POST)
# A rep's figures are for the Sales lead's view alone (metrics.sales), not for any scope.
SALES_DIMS = (Dim.REP, Dim.STAGE)
SCOPE_DIMS = [
    (value, label) for value, label in Dim.choices if value not in (*PACKED_DIMS, *SALES_DIMS)
]


class DailyRollup(models.Model):
    day = models.DateField(help_text="A day in the organisation's time zone.")
    metric = models.CharField(max_length=40)
    dim = models.CharField(max_length=12, choices=Dim.choices)
    # 0 for the organisation; an activity kind's code for activities, department and code
    # packed for a department's activity (metrics.facts).
    dim_id = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    # Durations: how many fell in each of metrics.histogram.BUCKETS, so a median or p90
    # over any range is recombined without the raw rows.
    buckets = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "dim", "dim_id", "day"], name="rollup_one_cell"
            )
        ]
        indexes = [
            models.Index(fields=["day", "metric"], name="rollup_day_metric"),
            # Every cell of one dimension over a range (the activities page reads the
            # department × activity cells of a few weeks): through rollup_one_cell it scans
            # each metric's cells of every id and day.
            models.Index(fields=["dim", "metric", "day"], name="rollup_dim_metric_day"),
            # A department's posts' clicks over a range (its top posts): one descent per
            # (metric, day) to the department's adjacent ids, the count read from the index.
            models.Index(
                fields=["metric", "day", "dim_id"],
                include=["count"],
                condition=models.Q(dim="dep_post"),
                name="rollup_dep_post",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.dim}:{self.dim_id} {self.day} = {self.total}"


# The weekly review's models (metrics/reviews/), registered with the metrics app.
from metrics.reviews.models import (  # noqa: E402
    ActionItem,
    Attendance,
    Commentary,
    Decision,
    Review,
    ReviewReopen,
)

__all__ = [
    "ActionItem",
    "Attendance",
    "Commentary",
    "DailyRollup",
    "Decision",
    "Dim",
    "Review",
    "ReviewReopen",
]
