"""Goals and KPIs the product proposes for a department, by its kind and the
organisation's type, after the operating model in the source articles (DOMAIN.md).
The user picks, edits and saves them; nothing here is stored until then."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from departments.models import KPI, Department, Goal, Organisation


@dataclass(frozen=True)
class KPISuggestion:
    metric: str
    target: Decimal
    baseline: Decimal | None = None
    cadence: str = KPI.Cadence.MONTHLY
    name: str = ""
    direction: str = ""  # empty: the metric's own direction


@dataclass(frozen=True)
class GoalSuggestion:
    key: str
    objective: str
    title: str
    why: str
    kpis: list[KPISuggestion] = field(default_factory=list)

    @property
    def objective_label(self) -> str:
        return Goal.Objective(self.objective).label


def _d(value: str | int) -> Decimal:
    return Decimal(str(value))


def suggestions_for(*, department: Department, organisation: Organisation) -> list[GoalSuggestion]:
    nonprofit = organisation.type == Organisation.Type.NONPROFIT
    b2b = organisation.type == Organisation.Type.B2B
    money = "donations" if nonprofit else "revenue"
    kind = department.kind
    K = Department.Kind
    if kind == K.SALES:
        return [
            GoalSuggestion(
                "sales-follow-key-accounts",
                Goal.Objective.SALES,
                "Follow our key customers and prospects on X",
                "Twitter as a telephone, not a megaphone: reps read their private lists before "
                "every call and reach decision makers with personal replies and DMs.",
                [
                    KPISuggestion("prospects_engaged", _d(40 if b2b else 100), _d(0)),
                    KPISuggestion("leads", _d(10 if b2b else 30), _d(0)),
                ],
            ),
            GoalSuggestion(
                "sales-social-revenue",
                Goal.Objective.SALES,
                f"Turn X conversations into {money}",
                "Record every interaction from first contact to conversion, so the CRM shows "
                f"which {money} social selling brought in.",
                [
                    KPISuggestion("conversions", _d(20), _d(0)),
                    KPISuggestion("revenue", _d(50000 if b2b else 20000), _d(0)),
                ],
            ),
        ]
    if kind == K.CUSTOMER_SERVICE:
        return [
            GoalSuggestion(
                "support-answer-fast",
                Goal.Objective.LOYALTY,
                "Answer customers on X fast and consistently",
                "Queries and complaints arrive as mentions and DMs; speed and consistency decide "
                "whether the customer stays.",
                [
                    KPISuggestion(
                        "median_first_response_minutes", _d(60), _d(240), KPI.Cadence.WEEKLY
                    ),
                    KPISuggestion("replies", _d(200), _d(0), KPI.Cadence.MONTHLY),
                    KPISuggestion("dms", _d(80), _d(0), KPI.Cadence.MONTHLY),
                ],
            ),
        ]
    if kind == K.PR:
        return [
            GoalSuggestion(
                "pr-reputation",
                Goal.Objective.REPUTATION,
                "Grow how much, and how well, people talk about us",
                "Monitor what people say about the organisation and answer it; the halo of trust "
                "counts as much as promotion.",
                [
                    KPISuggestion("mentions", _d(1500), _d(1000)),
                    KPISuggestion("positive_sentiment_share", _d(60), _d(45)),
                ],
            ),
        ]
    if kind == K.MARKETING:
        conversions_title = (
            "Donations from X traffic" if nonprofit else "Conversions from X traffic"
        )
        return [
            GoalSuggestion(
                "marketing-brand-reach",
                Goal.Objective.BRAND,
                "Grow our brand's reach on X",
                "More of the right people see and follow us: the audience every other department "
                "draws on.",
                [
                    KPISuggestion("followers", _d(12000), _d(10000)),
                    KPISuggestion("impressions", _d(250000), _d(150000)),
                ],
            ),
            GoalSuggestion(
                "marketing-traffic-conversions",
                Goal.Objective.SALES,
                f"Drive traffic and {'donations' if nonprofit else 'conversions'} from X",
                "Every offer gets a tracked link, so clicks and conversions show which posts pay "
                "for the time they take.",
                [
                    KPISuggestion("link_clicks", _d(5000), _d(2000)),
                    KPISuggestion(
                        "conversions", _d(150), _d(50), name=conversions_title if nonprofit else ""
                    ),
                ],
            ),
        ]
    if kind == K.EXECUTIVE:
        return [
            GoalSuggestion(
                "exec-roi",
                Goal.Objective.OTHER,
                "Know the return on our social media investment",
                "Staff time and spend beside revenue: the cost side is the one nobody records.",
                [
                    KPISuggestion("roi", _d(150), _d(0), KPI.Cadence.QUARTERLY),
                    KPISuggestion("hours_spent", _d(300), None, KPI.Cadence.MONTHLY),
                ],
            ),
        ]
    if kind == K.LEGAL:
        return [
            GoalSuggestion(
                "legal-review",
                Goal.Objective.REPUTATION,
                "Review offers and sensitive posts before they go out",
                "Contests, coupons and claims carry legal risk; a quick review protects the brand.",
                [
                    KPISuggestion(
                        "custom",
                        _d(24),
                        _d(72),
                        KPI.Cadence.MONTHLY,
                        name="Median review time (hours)",
                        direction=KPI.Direction.BELOW,
                    ),
                ],
            ),
        ]
    return [
        GoalSuggestion(
            "other-presence",
            Goal.Objective.BRAND,
            "Make our department's work visible on X",
            "Share what the department does so customers meet one organisation everywhere.",
            [KPISuggestion("mentions", _d(200), _d(0))],
        ),
    ]
