"""The demo's targets for the KPIs measured from its data. The demo's goals take their
targets from the suggestions, which are sized for a real organisation's quarter; against a
few weeks of demo data every measured KPI would be red. Once the demo's campaigns and
their clicks and conversions are in, each measured KPI gets a target its data is heading
for at a chosen pace (some ahead, some a little behind, some well behind), so the demo
shows what green, amber and red look like. KPIs without data yet keep their targets."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from departments import services
from departments.models import KPI, Goal
from metrics.selectors import Source, kpi_progress_many
from socialops.models import User

# Where each measured KPI lands against its pro-rated target, in turn: green, amber, red.
PACES = (Decimal("1.08"), Decimal("0.90"), Decimal("1.02"), Decimal("0.70"))


def _round(value: Decimal) -> Decimal:
    """Two significant figures, as a person would set a target (373 -> 370)."""
    if value <= 0:
        return value
    digits = len(str(int(value))) - 2
    step = Decimal(10) ** digits if digits > 0 else Decimal(1)
    return max(step, (value / step).quantize(Decimal(1)) * step)


def demo_targets_set(*, actor: User, today: date) -> int:
    """Set the targets of the active goals' KPIs measured from data; returns how many."""
    kpis = list(
        KPI.objects.filter(goal__status=Goal.Status.ACTIVE)
        .select_related("goal__owner", "goal__department", "campaign", "account")
        .order_by("goal__department__name", "pk")
    )
    changed = 0
    department = None
    for kpi, progress in zip(kpis, kpi_progress_many(kpis, today=today), strict=True):
        if progress.source != Source.DATA or progress.actual is None or progress.actual <= 0:
            continue
        if kpi.goal.department_id != department:
            # Each department's measured KPIs start the cycle again: which of them land
            # green, amber or red does not hang on what other departments measured today
            # (the inbox's and the prospects' figures have data some hours and not others).
            department, paces = kpi.goal.department_id, itertools.cycle(PACES)
        pace = next(paces)
        if kpi.direction == KPI.Direction.REACH:
            base = progress.projected if progress.projected is not None else progress.actual
            target = base / pace
        elif kpi.direction == KPI.Direction.ABOVE:
            target = progress.actual / pace
        else:
            target = progress.actual * pace
        lead = kpi.goal.owner or actor  # the goal's owner sets its targets, as people do
        services.kpi_update(actor=lead, kpi=kpi, target=_round(target))
        changed += 1
    return changed
