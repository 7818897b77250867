"""KPI progress and pace, computed from a KPI's measurements (already prefetched)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from departments.models import KPI


class Status(StrEnum):
    NO_DATA = "no_data"
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    AT_RISK = "at_risk"


STATUS_LABELS = {
    Status.NO_DATA: "No data yet",
    Status.ACHIEVED: "Target reached",
    Status.ON_TRACK: "On track",
    Status.BEHIND: "Behind",
    Status.AT_RISK: "At risk",
}

# How far progress may trail the share of the period gone before a KPI counts as behind
# (then at risk). Generous on purpose: manual measurements arrive in steps, not smoothly.
BEHIND_MARGIN = 0.10
AT_RISK_MARGIN = 0.25


@dataclass(frozen=True)
class KPIProgress:
    current: Decimal | None
    measured_on: date | None
    previous: Decimal | None
    progress: float | None  # 0.0 at the baseline, 1.0 at the target
    expected: float  # share of the goal's period that has passed
    status: Status

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.percent or 0))

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def change(self) -> Decimal | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


def kpi_progress(*, kpi: KPI, today: date) -> KPIProgress:
    goal = kpi.goal
    span = (goal.period_end - goal.period_start).days or 1
    expected = min(1.0, max(0.0, (today - goal.period_start).days / span))
    recent = getattr(kpi, "recent_measurements", None)  # see recent_measurements_prefetch
    measurements = sorted(
        recent if recent is not None else kpi.measurements.all(),
        key=lambda m: m.measured_on,
        reverse=True,
    )
    if not measurements:
        return KPIProgress(None, None, None, None, expected, Status.NO_DATA)
    latest = measurements[0]
    previous = measurements[1].value if len(measurements) > 1 else None
    baseline = kpi.baseline if kpi.baseline is not None else Decimal(0)
    distance = kpi.target - baseline
    progress = 1.0 if distance == 0 else float((latest.value - baseline) / distance)
    lower_better_hit = kpi.direction == KPI.Direction.LOWER and latest.value <= kpi.target
    higher_better_hit = kpi.direction == KPI.Direction.HIGHER and latest.value >= kpi.target
    if lower_better_hit or higher_better_hit:
        status = Status.ACHIEVED
    elif progress >= expected - BEHIND_MARGIN:
        status = Status.ON_TRACK
    elif progress >= expected - AT_RISK_MARGIN:
        status = Status.BEHIND
    else:
        status = Status.AT_RISK
    return KPIProgress(latest.value, latest.measured_on, previous, progress, expected, status)
