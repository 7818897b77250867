"""The demo's steering committee: last week's review held and closed (attendance, the
commentary every amber and red KPI needs, action items, a decision), and this week's open
with an item carried over, a new one and a decision that corrects last week's."""

from __future__ import annotations

from datetime import date, timedelta

from departments.models import KPI, Department
from metrics.reviews import permissions as perms
from metrics.reviews import selectors, services
from metrics.reviews.models import Review
from socialops.models import User

# What each department says about a KPI that is behind.
PLANS = {
    Department.Kind.MARKETING: "The winter campaign started a week late; two more posts a "
    "day from the brand account and a fresh landing page should close the gap in three weeks.",
    Department.Kind.SALES: "Prospects engaged on X are up, but few reach a call: reps will "
    "move every warm conversation to a DM within a day.",
    Department.Kind.CUSTOMER_SERVICE: "Weekend mentions waited until Monday; a weekend rota "
    "starts this Saturday.",
    Department.Kind.PR: "Mentions dipped after the launch news; two interviews are booked "
    "for next week.",
    Department.Kind.LEGAL: "Offer reviews queued behind the contest terms; both now have a "
    "checklist.",
}


def demo_reviews_loaded() -> bool:
    return Review.objects.exists()


def _rep(department_id: int) -> User | None:
    members = perms.representatives_by_department([department_id]).get(department_id, [])
    return members[0].user if members else None


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def demo_reviews_load(*, today: date) -> None:
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if admin is None or not Department.objects.exists():
        return
    this_monday = selectors.week_start(today)
    last_monday = this_monday - timedelta(days=7)
    last, _ = services.review_open(week_start=last_monday, actor=admin)
    departments = {d.kind: d for d in Department.objects.all()}
    # 1. Last week's meeting: everyone but Legal came.
    for department in departments.values():
        for membership in perms.representatives_by_department([department.pk]).get(
            department.pk, []
        ):
            services.attendance_record(
                actor=admin,
                review=last,
                department=department,
                user=membership.user,
                present=department.kind != Department.Kind.LEGAL,
            )
    # 2. Every amber and red KPI gets its "why, and what we do about it".
    content = selectors.review_snapshot(review=last, today=last.week_end)
    for entry in content["departments"]:
        rep = _rep(entry["id"])
        department = Department.objects.get(pk=entry["id"])
        for kpi in entry["kpis"]:
            if kpi["needs_commentary"] and rep is not None:
                services.commentary_save(
                    actor=rep,
                    review=last,
                    kpi=KPI.objects.get(pk=kpi["id"]),
                    text=PLANS.get(
                        department.kind, "Behind plan; the department will report next week."
                    ),
                )
    # 3. Items and a decision.
    marketing = departments.get(Department.Kind.MARKETING)
    sales = departments.get(Department.Kind.SALES)
    service_desk = departments.get(Department.Kind.CUSTOMER_SERVICE)
    first_decision = None
    if marketing is not None:
        services.action_item_create(
            actor=admin,
            review=last,
            department=marketing,
            title="Refresh the winter campaign's landing page",
            owner=_user("mark"),
            due=last_monday + timedelta(days=4),
        )
        first_decision = services.decision_record(
            actor=admin,
            review=last,
            text="The brand account posts every weekday at 09:00.",
            decided_by="The committee",
            decided_on=last_monday,
        )
    if sales is not None:
        services.action_item_create(
            actor=admin,
            review=last,
            department=sales,
            title="Move every warm X conversation to a DM within a day",
            owner=_user("sofia"),
            due=this_monday + timedelta(days=4),
        )
    if service_desk is not None:
        done = services.action_item_create(
            actor=admin,
            review=last,
            department=service_desk,
            title="Publish first-response targets for mentions",
            owner=_user("carla"),
            due=last_monday + timedelta(days=2),
        )
        services.action_item_update(actor=admin, item=done, status="done")
    services.review_close(actor=admin, review=last, today=last.week_end)

    # 4. This week: open, Marketing's and Sales' representatives recorded so far, a new item
    # and a decision that corrects last week's.
    current, _ = services.review_open(week_start=this_monday, actor=admin)
    for department in (marketing, sales):
        if department is None:
            continue
        rep = _rep(department.pk)
        if rep is not None:
            services.attendance_record(
                actor=admin, review=current, department=department, user=rep, present=True
            )
    if marketing is not None:
        services.action_item_create(
            actor=admin,
            review=current,
            department=marketing,
            title="Try a 17:00 post for a fortnight and compare clicks",
            owner=_user("maria"),
            due=this_monday + timedelta(days=14),
        )
    if first_decision is not None:
        services.decision_record(
            actor=admin,
            review=current,
            text="The brand account posts every weekday at 09:00 and 17:00 (a trial until "
            "the next quarter).",
            decided_by="The committee",
            decided_on=this_monday,
            supersedes=first_decision,
        )
