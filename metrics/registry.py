"""The metric registry: every metric a KPI can name, with its unit and where it comes from.

Metrics marked `manual` are entered by hand until a later issue computes them from data
(X, tracked links, conversions, the time log); the key stays the same when that happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    MINUTES = "minutes"
    HOURS = "hours"
    CURRENCY = "currency"
    RATIO = "ratio"


UNIT_LABELS = {
    Unit.COUNT: "count",
    Unit.PERCENT: "%",
    Unit.MINUTES: "min",
    Unit.HOURS: "h",
    Unit.CURRENCY: "",  # shown with the organisation's currency
    Unit.RATIO: "×",
}


class Source(StrEnum):
    X = "x"  # read from the X API by the listening workers
    LINKS = "links"  # tracked short links
    CONVERSIONS = "conversions"  # conversions, redemptions, revenue from shop/CRM
    INBOX = "inbox"  # mention inbox: replies, response time, sentiment
    PROSPECTS = "prospects"  # sales reps' prospect lists and interactions
    TIME_LOG = "time_log"  # the team's time log
    DERIVED = "derived"  # computed from other metrics
    MANUAL = "manual"  # entered by people


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: Unit
    higher_is_better: bool
    source: Source
    description: str

    @property
    def is_custom(self) -> bool:
        return self.key == CUSTOM


CUSTOM = "custom"

METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric(
            "followers",
            "Followers",
            Unit.COUNT,
            True,
            Source.X,
            "Followers of our X accounts at the end of the period.",
        ),
        Metric(
            "mentions",
            "Mentions",
            Unit.COUNT,
            True,
            Source.X,
            "Posts that mention our accounts or brand: people talking about us.",
        ),
        Metric(
            "impressions",
            "Impressions",
            Unit.COUNT,
            True,
            Source.X,
            "Times our own posts were seen.",
        ),
        Metric(
            "engagements",
            "Engagements",
            Unit.COUNT,
            True,
            Source.X,
            "Likes, replies, reposts, quotes and clicks on our own posts.",
        ),
        Metric(
            "link_clicks",
            "Link clicks",
            Unit.COUNT,
            True,
            Source.LINKS,
            "Clicks on our tracked short links (bots excluded).",
        ),
        Metric(
            "unique_clicks",
            "Unique clicks",
            Unit.COUNT,
            True,
            Source.LINKS,
            "Distinct visitors who clicked a tracked link, per day.",
        ),
        Metric(
            "conversions",
            "Conversions",
            Unit.COUNT,
            True,
            Source.CONVERSIONS,
            "Sign-ups, orders or donations attributed to X traffic.",
        ),
        Metric(
            "conversion_rate",
            "Conversion rate",
            Unit.PERCENT,
            True,
            Source.DERIVED,
            "Conversions per unique visitor, in percent.",
        ),
        Metric(
            "revenue",
            "Revenue",
            Unit.CURRENCY,
            True,
            Source.CONVERSIONS,
            "Revenue (or donations, for non-profits) attributed to X traffic.",
        ),
        Metric(
            "coupon_redemptions",
            "Coupon redemptions",
            Unit.COUNT,
            True,
            Source.CONVERSIONS,
            "Coupons from our offers that were redeemed.",
        ),
        Metric(
            "new_customers",
            "New customers",
            Unit.COUNT,
            True,
            Source.CONVERSIONS,
            "Conversions by customers who had not bought before.",
        ),
        Metric(
            "retweets", "Reposts", Unit.COUNT, True, Source.X, "Reposts (retweets) of our posts."
        ),
        Metric("likes", "Likes", Unit.COUNT, True, Source.X, "Likes our own posts received."),
        Metric(
            "replies_received",
            "Replies received",
            Unit.COUNT,
            True,
            Source.X,
            "Replies our own posts received (X's reply count).",
        ),
        Metric(
            "x_link_clicks",
            "Link clicks reported by X",
            Unit.COUNT,
            True,
            Source.X,
            "X's own count of clicks on links in our posts (url_link_clicks): shown beside "
            "our tracked clicks, never added to them.",
        ),
        Metric(
            "posts_published",
            "Posts published",
            Unit.COUNT,
            True,
            Source.X,
            "Posts, threads, replies, quotes and reposts we published from the calendar.",
        ),
        Metric(
            "replies",
            "Replies answered",
            Unit.COUNT,
            True,
            Source.INBOX,
            "Replies and quotes we sent to conversations in the inbox.",
        ),
        Metric(
            "dms",
            "DMs answered",
            Unit.COUNT,
            True,
            Source.INBOX,
            "Direct messages we sent to conversations in the inbox.",
        ),
        Metric(
            "median_first_response_minutes",
            "Median first-response time",
            Unit.MINUTES,
            False,
            Source.INBOX,
            "Median time from a conversation's first message to a person's first reply.",
        ),
        Metric(
            "p90_first_response_minutes",
            "90th-percentile first-response time",
            Unit.MINUTES,
            False,
            Source.INBOX,
            "Nine first responses in ten came faster than this.",
        ),
        Metric(
            "median_first_response_business_minutes",
            "Median first-response time (business hours)",
            Unit.MINUTES,
            False,
            Source.INBOX,
            "Median first-response time counting only the department's opening hours.",
        ),
        Metric(
            "p90_first_response_business_minutes",
            "90th-percentile first-response time (business hours)",
            Unit.MINUTES,
            False,
            Source.INBOX,
            "The 90th percentile counting only the department's opening hours.",
        ),
        Metric(
            "sla_met_share",
            "Responses within SLA",
            Unit.PERCENT,
            True,
            Source.INBOX,
            "Share of first and next responses with an SLA target that came within it.",
        ),
        Metric(
            "conversations_resolved",
            "Conversations resolved",
            Unit.COUNT,
            True,
            Source.INBOX,
            "Conversations set to resolved.",
        ),
        Metric(
            "positive_sentiment_share",
            "Positive-sentiment share",
            Unit.PERCENT,
            True,
            Source.INBOX,
            "Share of new conversations with positive sentiment (as corrected by people).",
        ),
        Metric(
            "leads",
            "Leads",
            Unit.COUNT,
            True,
            Source.PROSPECTS,
            "Prospects added to sales reps' lists, on the day they were added.",
        ),
        Metric(
            "prospects_engaged",
            "Prospects engaged",
            Unit.COUNT,
            True,
            Source.PROSPECTS,
            "Distinct prospects someone touched (our reply or DM, a call, e-mail, meeting or "
            "note), per day.",
        ),
        Metric(
            "touches",
            "Touches",
            Unit.COUNT,
            True,
            Source.PROSPECTS,
            "Replies, DMs, calls, e-mails, meetings and notes towards prospects.",
        ),
        Metric(
            "pipeline_value",
            "Pipeline value",
            Unit.CURRENCY,
            True,
            Source.PROSPECTS,
            "The value of prospects in an open stage (neither lost nor customer) at the end "
            "of the period.",
        ),
        Metric(
            "avg_hours_in_stage",
            "Average time in a stage",
            Unit.HOURS,
            False,
            Source.PROSPECTS,
            "Hours prospects spent in the stage they left, on average over the period's "
            "stage changes.",
        ),
        Metric(
            "hours_spent",
            "Hours spent",
            Unit.HOURS,
            False,
            Source.TIME_LOG,
            "Hours the team logged on social media work.",
        ),
        Metric(
            "staff_cost",
            "Staff cost",
            Unit.CURRENCY,
            False,
            Source.TIME_LOG,
            "Hours logged × the organisation's loaded hourly cost.",
        ),
        Metric(
            "campaign_spend",
            "Campaign spend",
            Unit.CURRENCY,
            False,
            Source.DERIVED,
            "Campaigns' spend, spread evenly over each campaign's days.",
        ),
        Metric(
            "cost",
            "Cost",
            Unit.CURRENCY,
            False,
            Source.DERIVED,
            "Staff cost plus campaign spend.",
        ),
        Metric(
            "x_api_spend",
            "X API spend",
            Unit.CURRENCY,
            False,
            Source.X,
            "What our reads from the X API cost, as X bills them.",
        ),
        Metric(
            "cost_per_conversion",
            "Cost per conversion",
            Unit.CURRENCY,
            False,
            Source.DERIVED,
            "Staff cost and spend divided by conversions.",
        ),
        Metric(
            "roi",
            "ROI",
            Unit.PERCENT,
            True,
            Source.DERIVED,
            "(Revenue − cost) ÷ cost, in percent; cost is staff time plus spend.",
        ),
        Metric(
            CUSTOM,
            "Custom (manual)",
            Unit.COUNT,
            True,
            Source.MANUAL,
            "Any number your department tracks by hand; name it on the KPI.",
        ),
    ]
}


def metric_get(key: str) -> Metric | None:
    return METRICS.get(key)


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in METRICS.values()]


def unit_choices() -> list[tuple[str, str]]:
    return [(u.value, u.value) for u in Unit]


# --- What a KPI on a metric may be ------------------------------------------------------
# Declared here, the one metrics module departments may read, so a KPI validates without
# the rest of metrics; tests/metrics/test_kpi_progress.py holds these to metrics.facts.

# Levels and ratios: a period's value is not the sum of its days' values (followers at the
# period's end, a rate over the period). Every other metric is a total that accumulates
# over the period, so a KPI on it can "reach" a target pro rata.
NOT_TOTALS = frozenset(
    {
        "followers",
        "conversion_rate",
        "median_first_response_minutes",
        "p90_first_response_minutes",
        "median_first_response_business_minutes",
        "p90_first_response_business_minutes",
        "sla_met_share",
        "positive_sentiment_share",
        "cost_per_conversion",
        "roi",
        "pipeline_value",
        "avg_hours_in_stage",
    }
)

ORGANISATION, DEPARTMENT, ACCOUNT, CAMPAIGN = "organisation", "department", "account", "campaign"
ALL_SCOPES = frozenset({ORGANISATION, DEPARTMENT, ACCOUNT, CAMPAIGN})
# Whom a metric's rows are attributed to (metrics.facts): followers belong to accounts, time
# and spend to departments and campaigns, mentions and X's bill to accounts and the
# departments that route or read them. Metrics not listed are counted for every scope.
SCOPES: dict[str, frozenset[str]] = {
    "followers": frozenset({ORGANISATION, ACCOUNT}),
    "mentions": frozenset({ORGANISATION, DEPARTMENT, ACCOUNT}),
    "x_api_spend": frozenset({ORGANISATION, DEPARTMENT, ACCOUNT}),
    # Prospects belong to a department (and a rep, which is no KPI's scope).
    **{
        key: frozenset({ORGANISATION, DEPARTMENT})
        for key in ("leads", "prospects_engaged", "touches", "pipeline_value", "avg_hours_in_stage")
    },
    # The inbox's figures belong to departments and accounts (and people, on its report).
    **{
        key: frozenset({ORGANISATION, DEPARTMENT, ACCOUNT})
        for key in (
            "replies",
            "dms",
            "median_first_response_minutes",
            "p90_first_response_minutes",
            "median_first_response_business_minutes",
            "p90_first_response_business_minutes",
            "sla_met_share",
            "conversations_resolved",
            "positive_sentiment_share",
        )
    },
    **{
        key: frozenset({ORGANISATION, DEPARTMENT, CAMPAIGN})
        for key in (
            "hours_spent",
            "staff_cost",
            "campaign_spend",
            "cost",
            "cost_per_conversion",
            "roi",
        )
    },
}


def is_total(key: str) -> bool:
    return key not in NOT_TOTALS


def metric_scopes(key: str) -> frozenset[str]:
    return SCOPES.get(key, ALL_SCOPES)


def entered_by_hand(key: str) -> bool:
    """Whether a KPI on this metric takes measurements typed in by people. The others are
    measured from the product's own data (or, for the inbox, will be)."""
    metric = metric_get(key)
    return metric is not None and metric.source == Source.MANUAL
