"""What each metric counts, computed from the raw rows, and whom each row is attributed to.

Attribution, written down once (tests/metrics/test_facts.py holds it):
- A **click** (bots left out) belongs to its tracked link; the link's campaign; the
  department of the link's post, else of its campaign; the X account that published the
  post; and the post's kind (its activity).
- A **conversion** belongs to its link and campaign as recorded when it arrived (click id
  or coupon), and through the link like a click to a department, account and activity;
  without a link, the campaign's department. Revenue counts the organisation's currency
  only (as the campaign page does); conversions in other currencies are counted.
- A **published post** belongs to its department, account, campaign and kind, on the day
  it was published. X's figures for our posts (impressions, engagements, likes, reposts,
  replies, X's link clicks) are lifetime counters: they count on the day the post was
  published, attributed like the calendar post that published it (a post made outside
  the product belongs to its account only).
- A **mention** (an inbox item) belongs to the account it mentions and the department it
  was routed to, on the day it arrived.
- **Followers** are a level, not a count: each account's snapshot of the day; the
  organisation's is the sum over accounts that day.
- **Time** logged belongs to its department, campaign and activity kind (the time log's
  activities map onto kinds: writing → post, replying → reply, reposting → repost, direct
  messages → dm; planning, listening, reporting and approving → other). Staff cost is
  hours × the organisation's loaded hourly cost.
- **Campaign spend** is spread evenly over the campaign's days (the last day takes the
  rounding), belonging to the campaign and its department.
- **The inbox**: a first response belongs to the department it was routed to when
  answered, its conversation's account and the person who answered (Dim.PERSON), on the
  day answered; an answer sent, to its conversation's department and account and its
  sender; a resolution, to whoever resolved it; a conversation's sentiment, to its
  department and account on the day its first message arrived.
- **X API spend** is each run's cost on the day it started, for its account, source and
  the source's department.

- **Sales** (prospects): a **lead** is a prospect added to a rep's list, on the day they
  were added (their first stage change, made as they were); a prospect's figures belong
  to the department they count in (Prospect.department: the owner's Sales department
  when they were added) and to their owner (Dim.REP, a user id). A **touch** is what
  someone did towards a prospect (our reply, our DM, a logged call, e-mail, meeting or
  note), on the day it happened, belonging to the prospect's department and to whoever
  made it (its actor; without one — our reply found among stored posts — the prospect's
  owner); **prospects engaged** counts the distinct prospects touched, per day. A stage
  change counts as an **entry** into its new stage and, unless it is the first, an
  **exit** from the old one with the hours spent in it (at − since), on the day of the
  change, also per stage (Dim.STAGE, the stage's id: entries by the stage entered, exits
  by the stage left). The **pipeline value** is a level: on each day a prospect was
  added or changed stage, the value now recorded on the scope's prospects whose stage at
  that day's end is open (neither lost nor customer); a value edited later changes every
  such day (the service marks them). Counts only: no rollup cell names a prospect.

Every figure lands on the organisation's day (its time zone) and also on the organisation
(Dim.ORG, id 0). Figures with both a department and an activity kind (clicks, conversions,
published posts and their X counters, time logged) land also on that pair
(Dim.DEPARTMENT_ACTIVITY, id department_activity_id(department, kind)), for the activities
page: the row's department as above, which for a row with a post is the post's. Clicks
on a calendar post's links land also on (Dim.DEPARTMENT_POST, id department_post_id(the
post's department, the post)), for a department's top posts by clicks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.db import connections
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from campaigns.calendar.models import ScheduledPost
from campaigns.links.models import Click
from campaigns.models import Campaign
from campaigns.offers.models import Conversion
from campaigns.timelog.models import TimeEntry
from departments.models import Organisation
from listening.inbox.models import Conversation, MessageKind, ResponseTime
from listening.inbox.models import Message as InboxMessage
from listening.models import FollowerCount, InboxItem, SourceRun, Tweet, XAccount
from metrics.histogram import bucket_counts
from metrics.models import Dim
from prospects.models import Interaction, Stage, StageChange
from socialops.marks import Family

# Activity kinds, stored as Dim.ACTIVITY ids.
ACTIVITY_POST = 1
ACTIVITY_THREAD = 2
ACTIVITY_REPLY = 3
ACTIVITY_QUOTE = 4
ACTIVITY_REPOST = 5
ACTIVITY_DM = 6
ACTIVITY_OTHER = 9
ACTIVITY_LABELS = {
    ACTIVITY_POST: "Post",
    ACTIVITY_THREAD: "Thread",
    ACTIVITY_REPLY: "Reply",
    ACTIVITY_QUOTE: "Quote",
    ACTIVITY_REPOST: "Repost",
    ACTIVITY_DM: "Direct message",
    ACTIVITY_OTHER: "Other work",
}
POST_KIND_ACTIVITY = {
    ScheduledPost.Kind.POST: ACTIVITY_POST,
    ScheduledPost.Kind.THREAD: ACTIVITY_THREAD,
    ScheduledPost.Kind.REPLY: ACTIVITY_REPLY,
    ScheduledPost.Kind.QUOTE: ACTIVITY_QUOTE,
    ScheduledPost.Kind.REPOST: ACTIVITY_REPOST,
}
TIME_ACTIVITY = {
    TimeEntry.Activity.WRITING: ACTIVITY_POST,
    TimeEntry.Activity.REPLYING: ACTIVITY_REPLY,
    TimeEntry.Activity.REPOSTING: ACTIVITY_REPOST,
    TimeEntry.Activity.DMS: ACTIVITY_DM,
}

# Dim.DEPARTMENT_ACTIVITY ids: department id × ACTIVITY_BASE + activity code.
ACTIVITY_BASE = 10
assert all(0 < code < ACTIVITY_BASE for code in ACTIVITY_LABELS)


def department_activity_id(department_id: int, activity: int) -> int:
    return department_id * ACTIVITY_BASE + activity


def department_activity_of(dim_id: int) -> tuple[int, int]:
    """The department id and activity code a Dim.DEPARTMENT_ACTIVITY id packs."""
    return divmod(dim_id, ACTIVITY_BASE)


def department_activity_ids(department_id: int) -> tuple[int, int]:
    """The ids of one department's activity kinds: from the first, up to the second."""
    return department_id * ACTIVITY_BASE, (department_id + 1) * ACTIVITY_BASE


def _department_activity(department: object, activity: object) -> ExpressionWrapper:
    """department_activity_id in SQL: NULL (no cell) when either is NULL."""
    return ExpressionWrapper(
        department * Value(ACTIVITY_BASE) + activity, output_field=BigIntegerField()
    )


# Dim.DEPARTMENT_POST ids: department id × POST_BASE + post id (room for 10¹² posts).
POST_BASE = 10**12


def department_post_id(department_id: int, post_id: int) -> int:
    return department_id * POST_BASE + post_id


def department_post_of(dim_id: int) -> tuple[int, int]:
    """The department id and post id a Dim.DEPARTMENT_POST id packs."""
    return divmod(dim_id, POST_BASE)


def department_post_ids(department_id: int) -> tuple[int, int]:
    """The ids of one department's posts: from the first, up to the second."""
    return department_id * POST_BASE, (department_id + 1) * POST_BASE


def _department_post(department: object, post: object) -> ExpressionWrapper:
    """department_post_id in SQL: NULL (no cell) when either is NULL."""
    return ExpressionWrapper(department * Value(POST_BASE) + post, output_field=BigIntegerField())


MONEY = DecimalField(max_digits=20, decimal_places=4)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Cell:
    day: date
    metric: str
    dim: str
    dim_id: int
    count: int
    total: Decimal
    # Durations: how many fell in each of metrics.histogram's buckets (None: not one).
    buckets: tuple[int, ...] | None = None


def _kind_code(field: str) -> Case:
    return Case(
        *(When(**{field: kind}, then=Value(code)) for kind, code in POST_KIND_ACTIVITY.items()),
        default=Value(ACTIVITY_OTHER),
        output_field=IntegerField(),
    )


def _through_post(post: str) -> dict[str, object]:
    """The dimensions a row has through the calendar post it came from (`post`, a path to
    a ScheduledPost): the account that published it and its kind; none without a post."""
    return {
        Dim.ACCOUNT: F(f"{post}__account_id"),
        Dim.ACTIVITY: Case(
            When(**{post: None}, then=Value(None)),
            default=_kind_code(f"{post}__kind"),
            output_field=IntegerField(),
        ),
    }


def _window(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _grouped(
    rows: QuerySet,
    *,
    day: object,
    dims: dict[str, object],
    measures: dict[str, tuple[str, Aggregate]],
) -> Iterator[Cell]:
    """The measures per day and per value of each dimension (a row whose dimension is NULL
    has none): `measures` maps a metric to (count|total, aggregate). One pass over the rows
    where the database groups by several sets at once (_one_pass), else one GROUP BY per
    dimension."""
    if _one_pass(rows.db):
        groups = _grouping_sets(rows, day, dims, measures)
    else:
        groups = _per_dimension(rows, day, dims, measures)
    for dim, day_, dim_id, values in groups:
        for (metric, (kind, _)), value in zip(measures.items(), values, strict=True):
            if value is None:
                continue
            if kind == "count":
                if value:
                    yield Cell(day_, metric, dim, dim_id or 0, int(value), ZERO)
            else:
                yield Cell(day_, metric, dim, dim_id or 0, 0, Decimal(value))


Group = tuple[str, date, object, tuple]  # dimension, day, its id, the measures' values


def _one_pass(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def _per_dimension(
    rows: QuerySet, day: object, dims: dict[str, object], measures: dict
) -> Iterator[Group]:
    for dim, expression in dims.items():
        annotated = rows.annotate(_day=day, _dim=expression).order_by()
        if dim != Dim.ORG:
            annotated = annotated.exclude(_dim=None)
        values = annotated.values("_day", "_dim").annotate(
            **{f"m_{n}": aggregate for n, (_, (_, aggregate)) in enumerate(measures.items())}
        )
        for row in values:
            yield dim, row["_day"], row["_dim"], tuple(row[f"m_{n}"] for n in range(len(measures)))


def _grouping_sets(
    rows: QuerySet, day: object, dims: dict[str, object], measures: dict
) -> Iterator[Group]:
    """PostgreSQL: read the rows once, grouped by (day, dimension) for every dimension in
    one GROUP BY GROUPING SETS (at full size, seven GROUP BYs of three days' clicks read
    the same 19,000 scattered pages seven times). Count-distinct stays exact: each set
    counts its own distinct values.

    1. The rows with their day, each dimension's id (d_0, d_1, …) and each aggregate's
       input (m_0, …: its expression, NULL where its filter fails), as Django compiles
       them.
    2. Around that, the aggregates' functions over the inputs, grouped by the sets
       (day, d_i); GROUPING(d_0, …) says which set a group belongs to (a 0 bit for the
       grouped column, leftmost first)."""
    names = list(dims)
    inputs = {}
    for n, (_, (_, aggregate)) in enumerate(measures.items()):
        source, *_ = aggregate.get_source_expressions()  # its filter follows
        if aggregate.filter is not None:
            source = Case(When(aggregate.filter, then=source), default=Value(None))
        inputs[f"m_{n}"] = source
    columns = {"_day": day, **{f"d_{i}": e for i, e in enumerate(dims.values())}, **inputs}
    sql, params = rows.annotate(**columns).order_by().values(*columns).query.sql_with_params()
    aggregates = [
        f'{aggregate.function}({"DISTINCT " if aggregate.distinct else ""}"m_{n}")'
        for n, (_, (_, aggregate)) in enumerate(measures.items())
    ]
    grouped = ", ".join(f'"d_{i}"' for i in range(len(names)))
    sets = ", ".join(f'("_day", "d_{i}")' for i in range(len(names)))
    every = (1 << len(names)) - 1
    set_of = {every ^ (1 << (len(names) - 1 - i)): i for i in range(len(names))}
    with connections[rows.db].cursor() as cursor:
        cursor.execute(
            f'SELECT "_day", GROUPING({grouped}), {grouped}, {", ".join(aggregates)} '
            f'FROM ({sql}) AS "rows" GROUP BY GROUPING SETS ({sets})',
            params,
        )
        for row in cursor.fetchall():
            i = set_of[row[1]]
            dim_id = row[2 + i]
            if dim_id is None and names[i] != Dim.ORG:
                continue
            yield names[i], row[0], dim_id, row[2 + len(names) :]


# --- the families ----------------------------------------------------------------------


def clicks(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    start, end = _window(first, last, zone)
    rows = Click.objects.filter(is_bot=False, clicked_at__gte=start, clicked_at__lt=end)
    department = Coalesce("link__post__department_id", "link__campaign__department_id")
    through_post = _through_post("link__post")
    yield from _grouped(
        rows,
        day=TruncDate("clicked_at", tzinfo=zone),
        dims={
            Dim.ORG: Value(0),
            Dim.LINK: F("link_id"),
            Dim.CAMPAIGN: F("link__campaign_id"),
            Dim.DEPARTMENT: department,
            **through_post,
            Dim.DEPARTMENT_ACTIVITY: _department_activity(department, through_post[Dim.ACTIVITY]),
            Dim.DEPARTMENT_POST: _department_post(
                F("link__post__department_id"), F("link__post_id")
            ),
        },
        measures={
            "link_clicks": ("count", Count("id")),
            "unique_clicks": (
                "count",
                Count("visitor_key", filter=~Q(visitor_key=""), distinct=True),
            ),
        },
    )


def conversions(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    start, end = _window(first, last, zone)
    currency = Organisation.objects.values_list("currency", flat=True).first() or "USD"
    rows = Conversion.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    own = Q(currency=currency)
    department = Coalesce("link__post__department_id", "campaign__department_id")
    through_post = _through_post("link__post")
    yield from _grouped(
        rows,
        day=TruncDate("occurred_at", tzinfo=zone),
        dims={
            Dim.ORG: Value(0),
            Dim.LINK: F("link_id"),
            Dim.CAMPAIGN: F("campaign_id"),
            Dim.DEPARTMENT: department,
            **through_post,
            Dim.DEPARTMENT_ACTIVITY: _department_activity(department, through_post[Dim.ACTIVITY]),
        },
        measures={
            "conversions": ("count", Count("id")),
            "revenue": ("total", Sum("value", filter=own)),
            "coupon_redemptions": (
                "count",
                Count(
                    "id",
                    filter=Q(kind=Conversion.Kind.REDEMPTION)
                    | Q(attribution=Conversion.Attribution.COUPON),
                ),
            ),
            "new_customers": ("count", Count("id", filter=Q(is_new_customer=True))),
        },
    )


def posts(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    start, end = _window(first, last, zone)
    dims = {
        Dim.ORG: Value(0),
        Dim.DEPARTMENT: F("department_id"),
        Dim.ACCOUNT: F("account_id"),
        Dim.CAMPAIGN: F("campaign_id"),
        Dim.ACTIVITY: _kind_code("kind"),
        Dim.DEPARTMENT_ACTIVITY: _department_activity(F("department_id"), _kind_code("kind")),
    }
    published = ScheduledPost.objects.filter(
        status=ScheduledPost.Status.PUBLISHED, published_at__gte=start, published_at__lt=end
    )
    yield from _grouped(
        published,
        day=TruncDate("published_at", tzinfo=zone),
        dims=dims,
        measures={"posts_published": ("count", Count("id"))},
    )
    # Our own posts' X metrics, on the day X says each was posted.
    ours = XAccount.objects.exclude(x_user_id=None).values("x_user_id")
    calendar = ScheduledPost.objects.filter(x_post_id=OuterRef("id"))

    def of_post(field: str) -> Subquery:
        return Subquery(calendar.values(field)[:1])

    tweets = Tweet.objects.filter(
        author_id__in=ours, created_at__gte=start, created_at__lt=end
    ).annotate(
        _account=Subquery(
            XAccount.objects.filter(x_user_id=OuterRef("author_id")).values("id")[:1]
        ),
        _department=of_post("department_id"),
        _campaign=of_post("campaign_id"),
        _kind=of_post("kind"),
    )
    engagements = Coalesce(
        "engagements",
        Coalesce("like_count", 0)
        + Coalesce("reply_count", 0)
        + Coalesce("retweet_count", 0)
        + Coalesce("quote_count", 0),
    )
    kind = Case(
        When(_kind=None, then=Value(None)),
        default=_kind_code("_kind"),
        output_field=IntegerField(),
    )
    yield from _grouped(
        tweets,
        day=TruncDate("created_at", tzinfo=zone),
        dims={
            Dim.ORG: Value(0),
            Dim.ACCOUNT: F("_account"),
            Dim.DEPARTMENT: F("_department"),
            Dim.CAMPAIGN: F("_campaign"),
            Dim.ACTIVITY: kind,
            Dim.DEPARTMENT_ACTIVITY: _department_activity(F("_department"), kind),
        },
        measures={
            "impressions": ("count", Sum("impression_count")),
            "engagements": ("count", Sum(engagements)),
            "likes": ("count", Sum("like_count")),
            "retweets": ("count", Sum("retweet_count")),
            "replies_received": ("count", Sum("reply_count")),
            "x_link_clicks": ("count", Sum("url_link_clicks")),
        },
    )


def mentions(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    start, end = _window(first, last, zone)
    rows = InboxItem.objects.filter(received_at__gte=start, received_at__lt=end)
    yield from _grouped(
        rows,
        day=TruncDate("received_at", tzinfo=zone),
        dims={
            Dim.ORG: Value(0),
            Dim.ACCOUNT: F("account_id"),
            Dim.DEPARTMENT: F("department_id"),
        },
        measures={"mentions": ("count", Count("id"))},
    )


def followers(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    rows = FollowerCount.objects.filter(day__gte=first, day__lte=last)
    yield from _grouped(
        rows,
        day=F("day"),
        dims={Dim.ORG: Value(0), Dim.ACCOUNT: F("account_id")},
        measures={"followers": ("total", Sum("followers"))},
    )


def time_logged(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    rate = Organisation.objects.values_list("hourly_staff_cost", flat=True).first() or ZERO
    rows = TimeEntry.objects.filter(day__gte=first, day__lte=last)
    activity = Case(
        *(When(activity=a, then=Value(code)) for a, code in TIME_ACTIVITY.items()),
        default=Value(ACTIVITY_OTHER),
        output_field=IntegerField(),
    )
    for cell in _grouped(
        rows,
        day=F("day"),
        dims={
            Dim.ORG: Value(0),
            Dim.DEPARTMENT: F("department_id"),
            Dim.CAMPAIGN: F("campaign_id"),
            Dim.ACTIVITY: activity,
            Dim.DEPARTMENT_ACTIVITY: _department_activity(F("department_id"), activity),
        },
        measures={"minutes": ("total", Sum("minutes"))},
    ):
        hours = cell.total / 60
        yield Cell(cell.day, "hours_spent", cell.dim, cell.dim_id, 0, hours.quantize(Q4))
        yield Cell(cell.day, "staff_cost", cell.dim, cell.dim_id, 0, (hours * rate).quantize(Q4))


Q4 = Decimal("0.0001")


def spend(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    totals: dict[tuple[date, str, int], Decimal] = {}
    campaigns = Campaign.objects.filter(
        period_start__lte=last, period_end__gte=first, spend__gt=0
    ).values_list("id", "department_id", "spend", "period_start", "period_end")
    for campaign_id, department_id, amount, period_start, period_end in campaigns:
        days = (period_end - period_start).days + 1
        share = (amount / days).quantize(Q4)
        for n in range(days):
            day = period_start + timedelta(days=n)
            if not first <= day <= last:
                continue
            # The last day takes the rounding, so the days add up to the spend.
            value = amount - share * (days - 1) if n == days - 1 else share
            for key in (
                (day, Dim.ORG, 0),
                (day, Dim.DEPARTMENT, department_id),
                (day, Dim.CAMPAIGN, campaign_id),
            ):
                totals[key] = totals.get(key, ZERO) + value
    for (day, dim, dim_id), value in totals.items():
        yield Cell(day, "campaign_spend", dim, dim_id, 0, value)


def x_spend(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    start, end = _window(first, last, zone)
    rows = SourceRun.objects.filter(started_at__gte=start, started_at__lt=end, cost__gt=0)
    yield from _grouped(
        rows,
        day=TruncDate("started_at", tzinfo=zone),
        dims={
            Dim.ORG: Value(0),
            Dim.ACCOUNT: F("source__account_id"),
            Dim.SOURCE: F("source_id"),
            Dim.DEPARTMENT: F("source__department_id"),
        },
        measures={"x_api_spend": ("total", Sum("cost", output_field=MONEY))},
    )


def prospects(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    """The sales figures (see the module's docstring), added up here rather than in SQL: a
    sales team's rows are few, and the pipeline's level needs each prospect's stage at the
    end of each day, read from their whole history up to the range's end."""
    start, end = _window(first, last, zone)
    counts: dict[tuple[date, str, str, int], int] = {}
    totals: dict[tuple[date, str, str, int], Decimal] = {}

    def add(day: date, metric: str, scopes: list[tuple[str, int | None]], n: int = 1) -> None:
        for dim, dim_id in scopes:
            if dim_id is not None:
                key = (day, metric, dim, dim_id)
                counts[key] = counts.get(key, 0) + n

    def add_total(day: date, metric: str, scopes: list, value: Decimal) -> None:
        for dim, dim_id in scopes:
            if dim_id is not None:
                key = (day, metric, dim, dim_id)
                totals[key] = totals.get(key, ZERO) + value

    # Touches, and the prospects they reached (distinct per day and scope).
    engaged: set[tuple[date, str, int, int]] = set()
    for prospect_id, at, actor, owner, department in Interaction.objects.filter(
        kind__in=Interaction.OUTREACH, occurred_at__gte=start, occurred_at__lt=end
    ).values_list(
        "prospect_id", "occurred_at", "actor_id", "prospect__owner_id", "prospect__department_id"
    ):
        day = at.astimezone(zone).date()
        add(day, "touches", [(Dim.ORG, 0), (Dim.DEPARTMENT, department), (Dim.REP, actor or owner)])
        for dim, dim_id in ((Dim.ORG, 0), (Dim.DEPARTMENT, department), (Dim.REP, owner)):
            if dim_id is not None:
                engaged.add((day, dim, dim_id, prospect_id))
    for day, dim, dim_id, _ in engaged:
        add(day, "prospects_engaged", [(dim, dim_id)])

    # Stage changes up to the range's end, in order: leads, entries, exits, the pipeline.
    open_stages = set(
        Stage.objects.filter(is_lost=False).exclude(key="customer").values_list("pk", flat=True)
    )
    stage_of: dict[int, int] = {}
    value_of: dict[int, tuple[Decimal, int, int | None]] = {}  # value, owner, department
    touched: dict[date, set[tuple[str, int]]] = {}
    changes = StageChange.objects.filter(at__lt=end).order_by("at", "pk")
    for (
        prospect_id,
        from_stage,
        to_stage,
        at,
        since,
        value,
        owner,
        department,
    ) in changes.values_list(
        "prospect_id",
        "from_stage_id",
        "to_stage_id",
        "at",
        "since",
        "prospect__value",
        "prospect__owner_id",
        "prospect__department_id",
    ).iterator(chunk_size=2000):
        day = at.astimezone(zone).date()
        if at >= start:
            # The days before this change's are over: draw their pipeline as it stood.
            _pipeline_draw(touched, before=day, state=(stage_of, value_of, open_stages), out=totals)
        stage_of[prospect_id] = to_stage
        value_of[prospect_id] = (value or ZERO, owner, department)
        if at < start:
            continue
        scopes = [(Dim.ORG, 0), (Dim.DEPARTMENT, department), (Dim.REP, owner)]
        if from_stage is None:
            add(day, "leads", scopes)
        add(day, "stage_entries", [*scopes, (Dim.STAGE, to_stage)])
        if from_stage is not None:
            add(day, "stage_exits", [*scopes, (Dim.STAGE, from_stage)])
            if since is not None:
                hours = Decimal((at - since).total_seconds()) / 3600
                add_total(day, "hours_in_stage", [*scopes, (Dim.STAGE, from_stage)], hours)
        touched.setdefault(day, set()).update(s for s in scopes if s[1] is not None)
    _pipeline_draw(touched, before=None, state=(stage_of, value_of, open_stages), out=totals)

    for (day, metric, dim, dim_id), n in counts.items():
        yield Cell(day, metric, dim, dim_id, n, ZERO)
    for (day, metric, dim, dim_id), value in totals.items():
        yield Cell(day, metric, dim, dim_id, 0, value.quantize(Q4))


def _pipeline_draw(
    touched: dict[date, set[tuple[str, int]]],
    *,
    before: date | None,
    state: tuple[dict[int, int], dict[int, tuple[Decimal, int, int | None]], set[int]],
    out: dict,
) -> None:
    """The pipeline's value, for each day with changes before `before` (all, with None),
    in each scope that changed that day: the values of the scope's prospects in an open
    stage. Called before a later day's first change is applied, so `state` is as each of
    those days ended (no change falls between them and it)."""
    stage_of, value_of, open_stages = state
    for day in sorted(d for d in touched if before is None or d < before):
        sums = dict.fromkeys(touched.pop(day), ZERO)
        for prospect_id, stage in stage_of.items():
            if stage not in open_stages:
                continue
            value, owner, department = value_of[prospect_id]
            for scope in ((Dim.ORG, 0), (Dim.DEPARTMENT, department), (Dim.REP, owner)):
                if scope in sums:
                    sums[scope] += value
        for (dim, dim_id), value in sums.items():
            out[(day, "pipeline_value", dim, dim_id)] = value


def inbox(first: date, last: date, zone: tzinfo) -> Iterator[Cell]:
    """The inbox's figures, summed in Python from the window's rows (a few thousand a
    day at most, and durations need their histogram buckets):
    - first responses (ResponseTime, kind first) on the day answered, for the department
      it was routed to when answered, the account, the person who answered: count, total
      minutes and buckets, in calendar and in business minutes;
    - responses with an SLA target (first and next) and those within it;
    - answers sent (outbound messages) on the day sent, for the conversation's
      department and account and the person who sent them: replies (posts) and DMs;
    - conversations resolved, on the day resolved, by whoever resolved them;
    - conversations by sentiment on the day their first message arrived (no person)."""
    start, end = _window(first, last, zone)
    counts: dict[tuple[date, str, str, int], int] = {}
    minutes: dict[tuple[date, str, str, int], list[float]] = {}

    def day_of(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    def scopes(department, account, person) -> list[tuple[str, int]]:
        out = [(Dim.ORG, 0)]
        for dim, value in ((Dim.DEPARTMENT, department), (Dim.ACCOUNT, account)):
            if value is not None:
                out.append((dim, value))
        if person is not None:
            out.append((Dim.PERSON, person))
        return out

    def add(day, metric, where) -> None:
        for dim, dim_id in where:
            key = (day, metric, dim, dim_id)
            counts[key] = counts.get(key, 0) + 1

    def add_minutes(day, metric, where, value) -> None:
        for dim, dim_id in where:
            minutes.setdefault((day, metric, dim, dim_id), []).append(value)

    responses = ResponseTime.objects.filter(answered_at__gte=start, answered_at__lt=end)
    for kind, at, seconds, business, within, department, account, person in responses.values_list(
        "kind",
        "answered_at",
        "seconds",
        "business_seconds",
        "within_sla",
        "department_id",
        "conversation__account_id",
        "responder_id",
    ):
        day, where = day_of(at), scopes(department, account, person)
        if kind == ResponseTime.Kind.FIRST:
            add_minutes(day, "first_response_minutes", where, seconds / 60)
            if business is not None:
                add_minutes(day, "first_response_business_minutes", where, business / 60)
        if within is not None:
            add(day, "sla_responses", where)
            if within:
                add(day, "sla_responses_met", where)
    sent = InboxMessage.objects.filter(
        direction=InboxMessage.Direction.OUTBOUND, at__gte=start, at__lt=end
    )
    for kind, at, department, account, person in sent.values_list(
        "kind", "at", "conversation__department_id", "conversation__account_id", "sent_by_id"
    ):
        metric = "dms" if kind == MessageKind.DM else "replies"
        add(day_of(at), metric, scopes(department, account, person))
    resolved = Conversation.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
    for at, department, account, person in resolved.values_list(
        "resolved_at", "department_id", "account_id", "resolved_by_id"
    ):
        add(day_of(at), "conversations_resolved", scopes(department, account, person))
    arrived = Conversation.objects.filter(
        first_message_at__gte=start, first_message_at__lt=end
    ).exclude(sentiment="")
    for at, sentiment, department, account in arrived.values_list(
        "first_message_at", "sentiment", "department_id", "account_id"
    ):
        add(day_of(at), f"conversations_{sentiment}", scopes(department, account, None))
    for (day, metric, dim, dim_id), n in counts.items():
        yield Cell(day, metric, dim, dim_id, n, ZERO)
    for (day, metric, dim, dim_id), values in minutes.items():
        total = Decimal(str(sum(values))).quantize(Q4)
        yield Cell(day, metric, dim, dim_id, 0, total, tuple(bucket_counts(values)))


Compute = Callable[[date, date, tzinfo], Iterator[Cell]]

# Each family's computation and the metrics it writes (its rollup rows are replaced whole
# for the days it recomputes).
FAMILIES: dict[str, tuple[Compute, tuple[str, ...]]] = {
    Family.CLICKS: (clicks, ("link_clicks", "unique_clicks")),
    Family.CONVERSIONS: (
        conversions,
        ("conversions", "revenue", "coupon_redemptions", "new_customers"),
    ),
    Family.POSTS: (
        posts,
        (
            "posts_published",
            "impressions",
            "engagements",
            "likes",
            "retweets",
            "replies_received",
            "x_link_clicks",
        ),
    ),
    Family.MENTIONS: (mentions, ("mentions",)),
    Family.FOLLOWERS: (followers, ("followers",)),
    Family.TIME: (time_logged, ("hours_spent", "staff_cost")),
    Family.SPEND: (spend, ("campaign_spend",)),
    Family.X_SPEND: (x_spend, ("x_api_spend",)),
    Family.PROSPECTS: (
        prospects,
        (
            "leads",
            "prospects_engaged",
            "touches",
            "stage_entries",
            "stage_exits",
            "hours_in_stage",
            "pipeline_value",
        ),
    ),
    Family.INBOX: (
        inbox,
        (
            "first_response_minutes",
            "first_response_business_minutes",
            "sla_responses",
            "sla_responses_met",
            "replies",
            "dms",
            "conversations_resolved",
            "conversations_positive",
            "conversations_neutral",
            "conversations_negative",
        ),
    ),
}

# Which family writes each stored metric.
FAMILY_OF = {metric: family for family, (_, metrics) in FAMILIES.items() for metric in metrics}
