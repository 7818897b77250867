"""The organisation, its departments and their members, goals, KPIs and measurements."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from metrics.registry import (
    CUSTOM,
    Unit,
    entered_by_hand,
    is_total,
    metric_choices,
    metric_get,
    metric_scopes,
)
from socialops.changes import change_field
from socialops.params import validate_day_in_range


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone (e.g. Europe/Madrid).")


class Organisation(models.Model):
    """The one organisation this installation serves (always pk=1)."""

    class Type(models.TextChoices):
        B2B = "b2b", "B2B company"
        B2C = "b2c", "B2C company"
        NONPROFIT = "nonprofit", "Non-profit"
        PUBLIC = "public", "Public sector"

    name = models.CharField(max_length=120)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.B2B)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Dates and times are shown in this zone.",
    )
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")],
    )
    hourly_staff_cost = models.DecimalField(
        "default loaded hourly staff cost",
        max_digits=10,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Salary plus overheads per hour; time logged × this is the cost side of ROI.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="organisation_singleton")]

    def __str__(self) -> str:
        return self.name

    @property
    def counts_donations(self) -> bool:
        return self.type in {self.Type.NONPROFIT}


class Department(models.Model):
    class Kind(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"
        CUSTOMER_SERVICE = "customer_service", "Customer service"
        PR = "pr", "PR & communications"
        LEGAL = "legal", "Legal"
        EXECUTIVE = "executive", "Executive"
        OTHER = "other", "Other"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    purpose = models.TextField(
        blank=True, help_text="What's in it for us: why this department is on social media."
    )
    own_hours = models.BooleanField(
        default=False,
        help_text="Its own opening hours; otherwise the organisation's. Holidays add up.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("departments:detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead"  # manages goals, KPIs and members
        MEMBER = "member", "Member"  # edits goals, KPIs, measurements
        VIEWER = "viewer", "Viewer"  # reads

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_representative = models.BooleanField(
        "steering-committee representative",
        default=False,
        help_text="Represents the department at the weekly steering committee.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department__name", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["department", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.department}"


class Goal(models.Model):
    class Objective(models.TextChoices):
        BRAND = "brand", "Brand"
        SALES = "sales", "Sales"
        LOYALTY = "loyalty", "Loyalty & support"
        REPUTATION = "reputation", "Reputation"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        DROPPED = "dropped", "Dropped"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="goals")
    objective = models.CharField(max_length=20, choices=Objective.choices)
    title = models.CharField(max_length=200)
    why = models.TextField("why it matters", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_goals",
    )
    period_start = models.DateField(validators=[validate_day_in_range])
    period_end = models.DateField(validators=[validate_day_in_range])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department__name", "-period_end", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="goal_period_end_after_start",
                violation_error_message="The period must end on or after its start.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("departments:goal", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period must end on or after its start."})


class KPI(models.Model):
    class Direction(models.TextChoices):
        # A total that accumulates over the goal's period, judged against the target pro
        # rata; a level or a ratio, judged as it stands.
        REACH = "reach", "Reach a total"
        ABOVE = "above", "Stay above"
        BELOW = "below", "Stay below"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    class Scope(models.TextChoices):
        # Prospect lists join here when their app arrives.
        ORGANISATION = "organisation", "Whole organisation"
        DEPARTMENT = "department", "Whole department"
        ACCOUNT = "account", "One X account"
        CAMPAIGN = "campaign", "One campaign"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="kpis")
    metric = models.CharField(max_length=50, choices=metric_choices())
    name = models.CharField(
        max_length=120, blank=True, help_text="Defaults to the metric's name; required for custom."
    )
    unit = models.CharField(max_length=10, choices=[(u.value, u.value) for u in Unit], blank=True)
    target = models.DecimalField(max_digits=18, decimal_places=4)
    baseline = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.REACH)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.DEPARTMENT)
    # Named by string: listening and campaigns sit above departments, which never imports
    # them. A deleted account or campaign leaves the KPI without data, not deleted.
    account = models.ForeignKey(
        "listening.XAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kpis",
        help_text="The X account, for an account's KPI.",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kpis",
        help_text="One of the department's campaigns, for a campaign's KPI.",
    )
    green_from = models.PositiveSmallIntegerField(
        "green from (%)",
        default=99,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Green at or above this share of the pro-rated target.",
    )
    amber_from = models.PositiveSmallIntegerField(
        "amber from (%)",
        default=81,
        validators=[MinValueValidator(0), MaxValueValidator(999)],
        help_text="Amber from this share up to green; red below.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        ordering = ["goal", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amber_from__lt=models.F("green_from")),
                name="kpi_amber_below_green",
                violation_error_message="Amber must start below green.",
            )
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("departments:kpi", kwargs={"pk": self.pk})

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        metric = metric_get(self.metric)
        return metric.label if metric else self.metric

    @property
    def department(self) -> Department:
        return self.goal.department

    @property
    def entered_by_hand(self) -> bool:
        return entered_by_hand(self.metric)

    @classmethod
    def default_direction(cls, metric_key: str) -> str:
        """Lower-is-better metrics stay below their target; the others reach a total, or,
        for a level or a ratio, stay above it."""
        metric = metric_get(metric_key)
        if metric is not None and not metric.higher_is_better:
            return cls.Direction.BELOW
        return cls.Direction.REACH if is_total(metric_key) else cls.Direction.ABOVE

    @classmethod
    def default_scope(cls, metric_key: str) -> str:
        """The department, where the metric is counted per department (followers are not)."""
        if cls.Scope.DEPARTMENT in metric_scopes(metric_key):
            return cls.Scope.DEPARTMENT
        return cls.Scope.ORGANISATION

    def clean(self) -> None:
        metric = metric_get(self.metric)
        if metric is None:
            raise ValidationError({"metric": f"Unknown metric “{self.metric}”."})
        if metric.key == CUSTOM:
            if not self.name:
                raise ValidationError({"name": "Name a custom KPI, e.g. “Webinar sign-ups”."})
        else:
            # Units of registry metrics are fixed by the registry: one number, one meaning.
            self.unit = metric.unit.value
        if not self.unit:
            self.unit = Unit.COUNT.value
        errors: dict[str, str] = {}
        if self.baseline is not None and self.target is not None and self.baseline == self.target:
            errors["target"] = "The target must differ from the baseline."
        self._clean_scope(metric.label, errors)
        if self.direction == self.Direction.REACH:
            if not is_total(metric.key):
                errors["direction"] = (
                    f"{metric.label} is a level or a ratio, not a total that adds up over "
                    "the period: choose stay above or stay below."
                )
            elif self.target is not None and self.target <= 0:
                errors["target"] = "A total to reach must be above zero."
        if (
            self.green_from is not None
            and self.amber_from is not None
            and self.amber_from >= self.green_from
        ):
            errors["amber_from"] = "Amber must start below green."
        if errors:
            raise ValidationError(errors)

    def _clean_scope(self, metric_label: str, errors: dict[str, str]) -> None:
        if self.scope not in metric_scopes(self.metric):
            where = ", ".join(
                str(self.Scope(s).label).lower()
                for s in self.Scope.values
                if s in metric_scopes(self.metric)
            )
            errors["scope"] = f"{metric_label} is counted for: {where}."
        if self.scope == self.Scope.ACCOUNT:
            self.campaign = None
            if self.account_id is None:
                errors["account"] = "Pick the X account."
        elif self.scope == self.Scope.CAMPAIGN:
            self.account = None
            if self.campaign_id is None:
                errors["campaign"] = "Pick the campaign."
            elif self.goal_id and self.campaign.department_id != self.goal.department_id:
                errors["campaign"] = "Pick one of this department's campaigns."
        else:
            self.account = self.campaign = None


class Measurement(models.Model):
    """A value of a KPI's metric on a date, entered by hand (for metrics from outside)."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    measured_on = models.DateField(validators=[validate_day_in_range])
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kpi", "-measured_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "measured_on"],
                name="measurement_one_per_day",
                violation_error_message="This KPI already has a measurement on that date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} on {self.measured_on}"

    def clean(self) -> None:
        if self.kpi_id and not self.kpi.entered_by_hand:
            raise ValidationError(
                {
                    "value": f"“{self.kpi.label}” is measured from SocialOps' own data; "
                    "it takes no value typed in by hand."
                }
            )
        # Name the field; the constraint (still there for races) would only say "__all__".
        duplicate = Measurement.objects.filter(kpi_id=self.kpi_id, measured_on=self.measured_on)
        if self.kpi_id and self.measured_on and duplicate.exclude(pk=self.pk).exists():
            raise ValidationError(
                {"measured_on": "This KPI already has a measurement on that date."}
            )

    @property
    def department(self) -> Department:
        return self.kpi.goal.department


class OpeningHours(models.Model):
    """One opening shift on a weekday, in the organisation's time zone: the
    organisation's (department empty) or a department's own. Closing at or before
    opening means after midnight. Response times in business hours count these."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="At or before opening: the next day.")

    class Meta:
        ordering = ["department", "weekday", "opens"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    """A closed day: the organisation's (department empty) or one department's."""

    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="holidays"
    )
    day = models.DateField(validators=[validate_day_in_range])
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "day"],
                name="holiday_once_per_day",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}".strip()
