"""The demo organisation `make run` loads into an empty database: a B2B software company
whose departments each have a lead, a member and a viewer, goals and KPIs taken from the
suggestions, and a few weeks of measurements typed in for the KPIs whose numbers come from
outside SocialOps (the others are measured from the demo's own data)."""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from departments import services
from departments.models import Department, Goal, Membership
from departments.selectors import organisation_get
from departments.suggestions import suggestions_for
from socialops.models import User

DEMO_PASSWORD = "socialops-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    department: str | None
    role: str | None

    @property
    def description(self) -> str:
        if self.department is None:
            return "organisation admin (everything, and /admin/)"
        return f"{self.role} of {self.department}"


DEPARTMENTS = [
    (
        "Marketing",
        Department.Kind.MARKETING,
        "Build the brand's reach and turn it into traffic and sign-ups for our product.",
    ),
    (
        "Sales",
        Department.Kind.SALES,
        "Use X as a telephone, not a megaphone: follow key accounts and prospects, reach decision "
        "makers personally, and record every interaction in the CRM.",
    ),
    (
        "Customer Service",
        Department.Kind.CUSTOMER_SERVICE,
        "Answer questions and complaints where customers ask them, fast and in one voice.",
    ),
    (
        "PR & Communications",
        Department.Kind.PR,
        "Know what people say about us, answer it, and grow the trust that makes everything "
        "else work.",
    ),
    (
        "Legal",
        Department.Kind.LEGAL,
        "Keep contests, offers and claims safe without slowing the calendar down.",
    ),
]

DEMO_USERS = [
    DemoUser("admin", "Alex", "Admin", None, None),
    DemoUser("maria", "Maria", "Marquez", "Marketing", Membership.Role.LEAD),
    DemoUser("mark", "Mark", "Meyer", "Marketing", Membership.Role.MEMBER),
    DemoUser("mia", "Mia", "Moreau", "Marketing", Membership.Role.VIEWER),
    DemoUser("sam", "Sam", "Silva", "Sales", Membership.Role.LEAD),
    DemoUser("sofia", "Sofia", "Santos", "Sales", Membership.Role.MEMBER),
    DemoUser("steve", "Steve", "Stone", "Sales", Membership.Role.VIEWER),
    DemoUser("carla", "Carla", "Costa", "Customer Service", Membership.Role.LEAD),
    DemoUser("chris", "Chris", "Clark", "Customer Service", Membership.Role.MEMBER),
    DemoUser("cody", "Cody", "Cole", "Customer Service", Membership.Role.VIEWER),
    DemoUser("paula", "Paula", "Price", "PR & Communications", Membership.Role.LEAD),
    DemoUser("peter", "Peter", "Park", "PR & Communications", Membership.Role.MEMBER),
    DemoUser("pia", "Pia", "Perez", "PR & Communications", Membership.Role.VIEWER),
    DemoUser("laura", "Laura", "Lopez", "Legal", Membership.Role.LEAD),
    DemoUser("leo", "Leo", "Lang", "Legal", Membership.Role.MEMBER),
    DemoUser("lily", "Lily", "Lee", "Legal", Membership.Role.VIEWER),
]


def demo_is_loaded() -> bool:
    return Department.objects.exists()


def demo_logins() -> list[DemoUser]:
    existing = set(
        User.objects.filter(username__in=[u.username for u in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    return [u for u in DEMO_USERS if u.username in existing]


# The demo organisation's time zone: its days are the demo's (and the tests').
DEMO_TIME_ZONE = "Europe/Madrid"


def demo_today() -> date:
    """Today in the demo organisation's zone (from 23:00 UTC on, Madrid is a day on)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(DEMO_TIME_ZONE))


@transaction.atomic
def demo_load(*, today: date) -> None:
    """Load the demo organisation. Call only on an empty database."""
    users: dict[str, User] = {}
    password_hash = make_password(DEMO_PASSWORD)  # one slow hash, not sixteen
    for demo_user in DEMO_USERS:
        user = User(
            username=demo_user.username,
            first_name=demo_user.first_name,
            last_name=demo_user.last_name,
            email=f"{demo_user.username}@brightline.example",
            is_superuser=demo_user.department is None,
            is_staff=demo_user.department is None,
        )
        user.password = password_hash
        user.save()
        users[demo_user.username] = user
    admin = users["admin"]
    organisation_get()
    services.organisation_update(
        actor=admin,
        name="Brightline Software",
        type="b2b",
        time_zone=DEMO_TIME_ZONE,
        currency="EUR",
        hourly_staff_cost=Decimal("55.00"),
    )
    organisation = organisation_get()
    departments = {
        name: services.department_create(actor=admin, name=name, kind=kind, purpose=purpose)
        for name, kind, purpose in DEPARTMENTS
    }
    for demo_user in DEMO_USERS:
        if demo_user.department is None:
            continue
        services.membership_create(
            actor=admin,
            department=departments[demo_user.department],
            user=users[demo_user.username],
            role=demo_user.role,
            is_representative=demo_user.role == Membership.Role.LEAD,
        )

    rng = random.Random(20261122)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    period_start = quarter_start - timedelta(days=35)  # a period well under way
    period_end = period_start + timedelta(days=120)
    for demo_user in DEMO_USERS:
        if demo_user.role != Membership.Role.LEAD:
            continue
        department = departments[demo_user.department]
        lead = users[demo_user.username]
        for proposal in suggestions_for(department=department, organisation=organisation):
            goal = services.goal_create_with_kpis(
                actor=lead,
                department=department,
                objective=proposal.objective,
                title=proposal.title,
                why=proposal.why,
                owner=lead,
                period_start=period_start,
                period_end=period_end,
                status=Goal.Status.ACTIVE,
                kpis=[
                    {
                        "metric": k.metric,
                        "target": k.target,
                        "baseline": k.baseline,
                        "cadence": k.cadence,
                        "name": k.name,
                        "direction": k.direction,
                    }
                    for k in proposal.kpis
                ],
            )
            _measure(goal=goal, actor=lead, rng=rng, today=today)


def _measure(*, goal: Goal, actor: User, rng: random.Random, today: date) -> None:
    """Weekly values that move from the baseline towards the target, some faster than
    the calendar and some slower, for the KPIs typed in by hand: the others show what the
    demo's data says."""
    weeks = max(1, (today - goal.period_start).days // 7)
    for kpi in goal.kpis.all():
        if not kpi.entered_by_hand:
            continue
        baseline = kpi.baseline if kpi.baseline is not None else kpi.target / 3
        pace = rng.choice([0.55, 0.8, 1.0, 1.15])
        span_weeks = max(1, (goal.period_end - goal.period_start).days / 7)
        for week in range(1, weeks + 1):
            share = min(1.1, pace * week / span_weeks)
            noise = Decimal(str(1 + rng.uniform(-0.04, 0.04)))
            value = (baseline + (kpi.target - baseline) * Decimal(str(share))) * noise
            services.measurement_create(
                actor=actor,
                kpi=kpi,
                value=value.quantize(Decimal("1") if abs(value) >= 10 else Decimal("0.1")),
                measured_on=goal.period_start + timedelta(days=7 * week),
                note="Weekly report" if week == weeks else "",
            )
