"""Reads for the weekly review: which reviews there are, and a review's content as one
plain dict (a *snapshot*), the same shape live and frozen.

An open review's snapshot is computed from the rollup as of `as_of` (the week's last day,
or today before then); closing stores that dict as canonical JSON, so a closed review is
rendered from what was stored and never from today's data. Pages, the API, the PDF and
the digest all read `review_content()`.

Numbers are kept in the snapshot as decimal strings (exact, stable through JSON) with the
text shown for them ("1,204", "12.5 %", "no data yet")."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Subquery
from django.utils import timezone

from campaigns.links.models import Click
from campaigns.models import Campaign
from campaigns.offers.models import Conversion
from campaigns.timelog.models import TimeEntry
from departments.models import KPI, Department, Goal, Measurement, Organisation
from departments.selectors import organisation_get, recent_measurements_prefetch
from listening.models import Source as XSource
from metrics import dashboard_selectors as ds
from metrics.measure import Request, Scope, Table, is_computed, periods
from metrics.models import Dim
from metrics.registry import METRICS, entered_by_hand, is_total
from metrics.reviews import permissions as perms
from metrics.reviews.models import (
    ActionItem,
    Attendance,
    Commentary,
    Decision,
    Review,
    week_label,
)
from metrics.rollups import organisation_zone, zone_of
from metrics.selectors import KPIProgress, Rag, kpi_progress_many, kpi_requests, kpi_scope
from metrics.templatetags.kpis import figure_text
from socialops import params
from socialops.charts import sparkline_svg
from socialops.models import User

SPARK_WEEKS = 6
HIGHLIGHTS = 3  # top posts per list in a review (the dashboard shows more)
NEEDS_COMMENTARY = {Rag.AMBER.value, Rag.RED.value}
SNAPSHOT_FORMAT = 1


# --- weeks ------------------------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_parse(value: str) -> date | None:
    """The Monday of an ISO week written YYYY-Www, or None when it is no such week."""
    monday = params.iso_week_param(value, default=date.min)
    return None if monday == date.min or week_label(monday) != value else monday


def organisation_today() -> date:
    return timezone.localdate(timezone=organisation_zone())


def review_as_of(review: Review, today: date) -> date:
    """The day a review's numbers are counted to: its week's last day, or today before."""
    return max(review.week_start, min(today, review.week_end))


# --- lists ------------------------------------------------------------------------------


def review_list(*, user: User) -> QuerySet[Review]:
    """Every review, for everyone in the organisation."""
    if not perms.can_read_reviews(user):
        return Review.objects.none()
    return Review.objects.select_related("closed_by")


def review_get(*, user: User, week: str) -> Review | None:
    monday = week_parse(week)
    if monday is None:
        return None
    return review_list(user=user).filter(week_start=monday).first()


def review_current(*, user: User, today: date | None = None) -> Review | None:
    """This week's review, else the latest one before it."""
    today = today or organisation_today()
    return review_list(user=user).filter(week_start__lte=today).order_by("-week_start").first()


def review_previous(review: Review) -> Review | None:
    return Review.objects.filter(week_start__lt=review.week_start).order_by("-week_start").first()


def action_items_of(review: Review) -> QuerySet[ActionItem]:
    """The items a review shows: raised in it or earlier, and still open, or finished
    during or after its week (so last week's review still shows what was open then)."""
    return (
        ActionItem.objects.filter(raised_in__week_start__lte=review.week_start)
        .filter(Q(status=ActionItem.Status.OPEN) | Q(finished_on__gte=review.week_start))
        .select_related("owner", "department", "raised_in")
        .order_by("department__name", "due", "pk")
    )


def action_item_list(*, user: User) -> QuerySet[ActionItem]:
    if not perms.can_read_reviews(user):
        return ActionItem.objects.none()
    return ActionItem.objects.select_related("owner", "department", "raised_in")


def decision_list(*, user: User) -> QuerySet[Decision]:
    if not perms.can_read_reviews(user):
        return Decision.objects.none()
    return Decision.objects.select_related("department", "review", "recorded_by", "supersedes")


def attendance_list(*, user: User) -> QuerySet[Attendance]:
    if not perms.can_read_reviews(user):
        return Attendance.objects.none()
    return Attendance.objects.select_related("department", "user", "review")


# --- the snapshot -----------------------------------------------------------------------


def definitions_version() -> str:
    """A fingerprint of the metric registry's definitions (key, label, unit, direction,
    source, description): a closed review says which definitions its numbers followed."""
    text = json.dumps(
        [
            [m.key, m.label, str(m.unit), m.higher_is_better, str(m.source), m.description]
            for m in sorted(METRICS.values(), key=lambda m: m.key)
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _latest(model, field: str) -> QuerySet:
    # The newest row by id (the primary key's index), not Max(field): a click table of
    # millions has no index on its time alone, and rows arrive in order anyway.
    return model.objects.order_by("-pk").values(field)[:1]


def sources_refreshed() -> dict[str, str | None]:
    """When each kind of raw data last came in (what the review's numbers could see), in
    one query: four subqueries beside the organisation's row (organisation_get makes it
    before any review is computed)."""
    row = (
        Organisation.objects.order_by("pk")
        .annotate(
            x=Subquery(
                XSource.objects.filter(last_success_at__isnull=False)
                .order_by("-last_success_at")
                .values("last_success_at")[:1]
            ),
            links=Subquery(_latest(Click, "clicked_at")),
            conversions=Subquery(_latest(Conversion, "created_at")),
            time_log=Subquery(_latest(TimeEntry, "created_at")),
        )
        .values("x", "links", "conversions", "time_log")
        .first()
    ) or {}
    return {key: _iso(row.get(key)) for key in ("x", "links", "conversions", "time_log")}


# What each key of sources_refreshed is, for people.
SOURCE_LABELS = {
    "x": "X",
    "links": "tracked links",
    "conversions": "conversions",
    "time_log": "time log",
}


def _num(value: Decimal | None) -> str | None:
    """A number as exact, stable text: four decimals at most, no trailing zeros."""
    if value is None:
        return None
    return format(Decimal(value).quantize(Decimal("0.0001")).normalize(), "f")


def review_kpis(review: Review) -> list[KPI]:
    """Every KPI of an active goal whose period overlaps the review's week."""
    return list(
        KPI.objects.filter(
            goal__status=Goal.Status.ACTIVE,
            goal__period_start__lte=review.week_end,
            goal__period_end__gte=review.week_start,
        )
        .select_related("goal__department", "account", "campaign")
        .prefetch_related(recent_measurements_prefetch())
        .order_by("goal__department__name", "goal__title", "pk")
    )


def _weeks(as_of: date) -> list[tuple[date, date]]:
    last_monday = week_start(as_of)
    mondays = [last_monday - timedelta(weeks=n) for n in range(SPARK_WEEKS - 1, -1, -1)]
    return [(m, min(m + timedelta(days=6), as_of)) for m in mondays]


def _spark_requests(kpis: list[KPI], as_of: date) -> dict[int, Request]:
    """What each computed KPI's last six weeks read from the rollup (by KPI id)."""
    first = _weeks(as_of)[0][0]
    requests = {}
    for kpi in kpis:
        scope = kpi_scope(kpi) if is_computed(kpi.metric) else None
        if scope is not None:
            requests[kpi.pk] = Request(kpi.metric, scope, first, as_of)
    return requests


def _sparks(kpis: list[KPI], as_of: date, table: Table) -> dict[int, list[list]]:
    """Each KPI's last six weeks, one value a week (the week's sum for a total, the level
    at its end otherwise): computed ones from `table`, which read _spark_requests, typed
    ones from their prefetched measurements."""
    weeks = _weeks(as_of)
    out: dict[int, list[list]] = {}
    for pk, r in _spark_requests(kpis, as_of).items():
        out[pk] = [
            [week_label(a), _num(table.value(r.metric, r.scope, a, b))]
            for a, b in periods(r.first, r.last, "week")
        ]
    for kpi in kpis:
        if entered_by_hand(kpi.metric):
            history = sorted(getattr(kpi, "recent_measurements", []), key=lambda m: m.measured_on)
            row = []
            for first, last in weeks:
                known = [m.value for m in history if m.measured_on <= last]
                row.append([week_label(first), _num(known[-1]) if known else None])
            out[kpi.pk] = row
    return out


def _kpi_entry(
    kpi: KPI,
    now: KPIProgress,
    before: KPIProgress,
    spark: list[list],
    currency: str,
) -> dict[str, Any]:
    unit = kpi.unit or "count"
    change = None
    if now.actual is not None and before.actual is not None:
        change = now.actual - before.actual

    def text(value: Decimal | None, places: int = 2) -> str:
        return "no data yet" if value is None else figure_text(value, unit, currency, places)

    return {
        "id": kpi.pk,
        "label": kpi.label,
        "metric": kpi.metric,
        "unit": unit,
        "goal": kpi.goal.title,
        "direction": kpi.direction,
        "direction_label": str(kpi.get_direction_display()),
        "total": is_total(kpi.metric),
        "target": _num(kpi.target),
        "target_text": text(kpi.target),
        "actual": _num(now.actual),
        "actual_text": text(now.actual),
        "percent_of_target": now.percent_of_target,
        "previous": _num(before.actual),
        "previous_text": text(before.actual),
        "change": _num(change),
        "change_text": (
            "no data yet" if change is None else ("+" if change > 0 else "") + text(change)
        ),
        "expected": _num(now.expected),
        "expected_text": text(now.expected, 0),
        "projected": _num(now.projected),
        "projected_text": text(now.projected, 1),
        "rag": now.rag.value,
        "rag_label": now.rag_label,
        "rag_rule": now.rag_rule,
        "note": now.note,
        "spark": spark,
    }


def _post(post: ds.TopPost) -> dict[str, Any]:
    return {
        "id": post.post_id,
        "text": post.text[:140],
        "clicks": post.clicks,
        "visitors": post.visitors,
        "engagements": post.engagements,
        "impressions": post.impressions,
    }


def _campaigns(departments: list[Department], first: date, as_of: date) -> list[Campaign]:
    """The departments' campaigns running in the week."""
    return list(
        Campaign.objects.filter(
            department__in=departments, period_start__lte=as_of, period_end__gte=first
        ).order_by("department_id", "-period_start", "name")
    )


def _campaign_requests(campaigns: list[Campaign], first: date, as_of: date) -> list[Request]:
    return [
        Request(m, Scope(Dim.CAMPAIGN, c.pk), first, as_of)
        for c in campaigns
        for m in ds.CAMPAIGN_METRICS
    ]


def _campaign_results(
    departments: list[Department],
    campaigns: list[Campaign],
    first: date,
    as_of: date,
    currency: str,
    table: Table,
) -> dict[int, list[dict]]:
    """Each department's campaigns running in the week with their results (from `table`,
    which read _campaign_requests)."""
    out: dict[int, list[dict]] = {d.pk: [] for d in departments}
    for campaign in campaigns:
        values: dict[str, Any] = {}
        for key in ds.CAMPAIGN_METRICS:
            value = table.value(key, Scope(Dim.CAMPAIGN, campaign.pk), first, as_of)
            unit = str(METRICS[key].unit)
            values[key] = {
                "value": _num(value),
                "text": "no data yet" if value is None else figure_text(value, unit, currency),
            }
        out[campaign.department_id].append({"id": campaign.pk, "name": campaign.name, **values})
    return out


def _highlights(departments: list[Department], first: date, as_of: date, zone) -> dict:
    """Each department's top posts of the week by clicks and by engagements (two queries
    for every department)."""
    period = ds.Period(first, as_of)
    by_clicks = ds.top_posts_by_clicks_many(
        departments=departments, period=period, limit=HIGHLIGHTS
    )
    by_engagements = ds.top_posts_by_engagements_many(
        departments=departments, period=period, zone=zone, limit=HIGHLIGHTS
    )
    return {
        d.pk: {
            "top_by_clicks": [_post(p) for p in by_clicks[d.pk]],
            "top_by_engagements": [_post(p) for p in by_engagements[d.pk]],
        }
        for d in departments
    }


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name}


def _item(item: ActionItem, as_of: date) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "department": item.department.name,
        "department_id": item.department_id,
        "owner": _person(item.owner),
        "due": item.due.isoformat() if item.due else None,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "overdue": bool(item.status == ActionItem.Status.OPEN and item.due and item.due < as_of),
        "raised_in": item.raised_in.week,
        "finished_on": item.finished_on.isoformat() if item.finished_on else None,
    }


def _decision(decision: Decision) -> dict[str, Any]:
    superseded_by = getattr(decision, "superseded_by", None)
    return {
        "id": decision.pk,
        "text": decision.text,
        "department": decision.department.name if decision.department else None,
        "decided_on": decision.decided_on.isoformat(),
        "decided_by": decision.decided_by,
        "recorded_by": _person(decision.recorded_by),
        "supersedes": decision.supersedes_id,
        "superseded_by": superseded_by.pk if superseded_by else None,
    }


def _numbers_version() -> str:
    """What the cached numbers depend on besides the rollup: the KPIs, their goals and
    the hand-typed measurements (two small queries)."""
    kpis = KPI.objects.aggregate(n=Count("pk"), k=Max("updated_at"), g=Max("goal__updated_at"))
    typed = Measurement.objects.aggregate(n=Count("pk"), m=Max("updated_at"))
    parts = [kpis["n"], kpis["k"], kpis["g"], typed["n"], typed["m"]]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _numbers(
    review: Review, as_of: date, currency: str, zone, departments: list[Department]
) -> dict[str, Any]:
    """Every figure of the review as of `as_of`: each active KPI's entry (progress then
    and a week before, six weeks) by department, each department's highlights, what the
    figures followed. Every figure from one read of the rollup (one measure.Table of the
    KPIs' periods then and a week before, their six weeks, the week's campaigns)."""
    kpis = review_kpis(review)
    before_day = as_of - timedelta(days=7)
    campaigns = _campaigns(departments, review.week_start, as_of)
    table = Table(
        [
            *kpi_requests(kpis, today=as_of).values(),
            *kpi_requests(kpis, today=before_day).values(),
            *_spark_requests(kpis, as_of).values(),
            *_campaign_requests(campaigns, review.week_start, as_of),
        ]
    )
    now = kpi_progress_many(kpis, today=as_of, series=False, table=table)
    before = kpi_progress_many(kpis, today=before_day, series=False, table=table)
    sparks = _sparks(kpis, as_of, table)
    by_department: dict[int, list[dict]] = {d.pk: [] for d in departments}
    for kpi, p_now, p_before in zip(kpis, now, before, strict=True):
        entry = _kpi_entry(kpi, p_now, p_before, sparks.get(kpi.pk, []), currency)
        by_department.setdefault(kpi.goal.department_id, []).append(entry)
    results = _campaign_results(departments, campaigns, review.week_start, as_of, currency, table)
    highlights = _highlights(departments, review.week_start, as_of, zone)
    for d in departments:
        highlights[d.pk]["campaigns"] = results[d.pk]
    return {
        "kpis": by_department,
        "highlights": highlights,
        "definitions_version": definitions_version(),
        "sources_refreshed": sources_refreshed(),
    }


NO_HIGHLIGHTS = {"top_by_clicks": [], "top_by_engagements": [], "campaigns": []}


def _numbers_cached(
    review: Review, as_of: date, currency: str, zone, departments: list[Department]
) -> dict[str, Any]:
    """The numbers of an open review, kept REVIEW_NUMBERS_CACHE_SECONDS (default 60, the
    rollup's own pace): the page is read by the whole committee during the meeting, and
    computing the figures of every department takes most of its time. The key holds what
    else they depend on (the KPIs, the measurements, the day); what people record in the
    review (commentary, attendance, items, decisions) is always read fresh."""
    seconds = settings.REVIEW_NUMBERS_CACHE_SECONDS
    if seconds <= 0:
        return _numbers(review, as_of, currency, zone, departments)
    key = ":".join(
        [
            "reviews:numbers",
            str(review.pk),
            str(review.opened_at.timestamp()),
            as_of.isoformat(),
            currency,
            _numbers_version(),
        ]
    )
    found = cache.get(key)
    if found is None:
        found = _numbers(review, as_of, currency, zone, departments)
        cache.set(key, found, seconds)
    return found


def review_snapshot(
    *, review: Review, today: date | None = None, fresh: bool = False
) -> dict[str, Any]:
    """A review's whole content, computed now (live). The steps:
    1. the numbers' day (`as_of`) and every active KPI, with its progress then and a week
       before (two kpi_progress_many calls) and its last six weeks (series_many), each
       department's highlights of the week (top posts, campaign results), what the
       numbers followed (the registry's definitions version, when each source of raw data
       last came in): computed, or from the short cache unless `fresh` (closing);
    2. per department: representatives and attendance, its KPIs with their commentary;
    3. the action items the review shows and the decisions recorded in it."""
    organisation: Organisation = organisation_get()
    currency = organisation.currency
    zone = zone_of(organisation.time_zone)
    today = today or timezone.localdate(timezone=zone)
    as_of = review_as_of(review, today)
    departments = list(Department.objects.order_by("name"))
    if fresh:
        numbers = _numbers(review, as_of, currency, zone, departments)
    else:
        numbers = _numbers_cached(review, as_of, currency, zone, departments)
    commentary = {
        c.kpi_id: c for c in Commentary.objects.filter(review=review).select_related("author")
    }
    present = {
        (a.department_id, a.user_id): a.present for a in Attendance.objects.filter(review=review)
    }
    reps = perms.representatives_by_department([d.pk for d in departments])
    department_entries = []
    for d in departments:
        entries = []
        for cached in numbers["kpis"].get(d.pk, []):
            entry = dict(cached)
            note = commentary.get(entry["id"])
            entry["commentary"] = (
                {"text": note.text, "author": _person(note.author)} if note is not None else None
            )
            entry["needs_commentary"] = entry["rag"] in NEEDS_COMMENTARY and note is None
            entries.append(entry)
        people = [
            {
                "id": m.user_id,
                "name": m.user.display_name,
                "present": present.get((d.pk, m.user_id)),
            }
            for m in reps.get(d.pk, [])
        ]
        department_entries.append(
            {
                "id": d.pk,
                "name": d.name,
                "slug": d.slug,
                "representatives": people,
                "represented": any(p["present"] for p in people),
                "kpis": entries,
                "highlights": numbers["highlights"].get(d.pk, NO_HIGHLIGHTS),
            }
        )
    decisions = Decision.objects.filter(review=review).select_related(
        "department", "recorded_by", "superseded_by"
    )
    return {
        "format": SNAPSHOT_FORMAT,
        "week": review.week,
        "first": review.week_start.isoformat(),
        "last": review.week_end.isoformat(),
        "as_of": as_of.isoformat(),
        "organisation": {
            "name": organisation.name,
            "time_zone": organisation.time_zone,
            "currency": currency,
        },
        "definitions_version": numbers["definitions_version"],
        "sources_refreshed": numbers["sources_refreshed"],
        "departments": department_entries,
        "action_items": [_item(i, as_of) for i in action_items_of(review)],
        "decisions": [_decision(d) for d in decisions],
    }


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def review_content(*, review: Review, today: date | None = None) -> dict[str, Any]:
    """What a review shows: the frozen record once closed, else computed now."""
    if review.is_closed and review.frozen_json:
        return json.loads(review.frozen_json)
    return review_snapshot(review=review, today=today)


def missing_commentary(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(department, KPI) of every amber or red KPI without commentary."""
    return [
        (d["name"], k["label"])
        for d in content["departments"]
        for k in d["kpis"]
        if k["needs_commentary"]
    ]


@dataclass(frozen=True)
class Restated:
    department: str
    kpi: str
    was: str
    now: str


def restated_numbers(*, review: Review) -> tuple[Review | None, list[Restated]]:
    """For the review before this one, when it is closed: each KPI whose actual, counted
    again today to the same day, differs from what was frozen ("was 1,204, now 1,251").
    Kept in the cache like the review's own numbers (REVIEW_NUMBERS_CACHE_SECONDS)."""
    previous = review_previous(review)
    if previous is None or not previous.is_closed or not previous.frozen_json:
        return previous, []
    seconds = settings.REVIEW_NUMBERS_CACHE_SECONDS
    if seconds <= 0:
        return previous, _restated(previous)
    key = f"reviews:restated:{previous.pk}:{previous.frozen_sha256}:{_numbers_version()}"
    found = cache.get(key)
    if found is None:
        found = _restated(previous)
        cache.set(key, found, seconds)
    return previous, found


def _restated(previous: Review) -> list[Restated]:
    frozen = json.loads(previous.frozen_json)
    as_of = date.fromisoformat(frozen["as_of"])
    entries = {k["id"]: (d["name"], k) for d in frozen["departments"] for k in d["kpis"]}
    kpis = list(
        KPI.objects.filter(pk__in=list(entries))
        .select_related("goal__department", "account", "campaign")
        .prefetch_related(recent_measurements_prefetch())
    )
    currency = frozen["organisation"]["currency"]
    out = []
    for kpi, progress in zip(kpis, kpi_progress_many(kpis, today=as_of, series=False), strict=True):
        department, entry = entries[kpi.pk]
        if _num(progress.actual) != entry["actual"]:
            now = (
                "no data yet"
                if progress.actual is None
                else figure_text(progress.actual, entry["unit"], currency)
            )
            out.append(Restated(department, entry["label"], entry["actual_text"], now))
    return sorted(out, key=lambda r: (r.department, r.kpi))


def review_display(content: dict[str, Any]) -> dict[str, Any]:
    """A copy of a review's content with what the templates draw from it: each KPI's
    six-week sparkline (SVG, from the stored points, so a closed review draws the same),
    counts of what needs doing. The stored record is never changed."""
    shown = json.loads(json.dumps(content))
    for department in shown["departments"]:
        for kpi in department["kpis"]:
            points = [
                (n + 1, None if value is None else Decimal(value))
                for n, (_, value) in enumerate(kpi["spark"])
            ]
            target = None if kpi["total"] or kpi["target"] is None else Decimal(kpi["target"])
            kpi["spark_svg"] = sparkline_svg(
                points,
                span=len(points),
                target=target,
                label=f"{kpi['label']}: the last {len(points)} weeks",
            )
        department["needs_commentary"] = sum(k["needs_commentary"] for k in department["kpis"])
        department["items"] = [
            i for i in shown["action_items"] if i["department_id"] == department["id"]
        ]
    shown["sources"] = [
        (label, datetime.fromisoformat(at) if at else None)
        for key, label in SOURCE_LABELS.items()
        if key in shown["sources_refreshed"]
        for at in [shown["sources_refreshed"][key]]
    ]
    shown["missing_commentary"] = missing_commentary(content)
    shown["overdue"] = sum(1 for i in shown["action_items"] if i["overdue"])
    shown["unrepresented"] = [d["name"] for d in shown["departments"] if not d["represented"]]
    return shown
