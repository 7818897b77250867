"""Shared fixtures for the editorial calendar's tests (no tests here: test_posts_*,
test_calendar_* and test_ical import them): departments and their leads, an X account, drafts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import ApprovalRule, Campaign
from campaigns.services import posts as services
from tests.factories import DepartmentFactory, MembershipFactory, XAccountFactory


def in_days(days: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(second=0, microsecond=0)


@pytest.fixture
def account(db):
    return XAccountFactory()


@pytest.fixture
def legal(db):
    return DepartmentFactory(name="Legal", kind="legal")


@pytest.fixture
def pr(db):
    return DepartmentFactory(name="PR", kind="pr")


@pytest.fixture
def legal_lead(legal):
    return MembershipFactory(department=legal, role="lead").user


@pytest.fixture
def pr_lead(pr):
    return MembershipFactory(department=pr, role="lead").user


@pytest.fixture
def writer(marketing):
    """A member of Marketing who writes posts (the owner, Marketing's lead, approves)."""
    return MembershipFactory(department=marketing, role="member").user


@pytest.fixture
def viewer(marketing):
    return MembershipFactory(department=marketing, role="viewer").user


@pytest.fixture
def marketing_campaign(marketing):
    return Campaign.objects.create(
        department=marketing,
        name="Winter launch",
        objective="sales",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2027, 1, 31),
        status=Campaign.Status.RUNNING,
        utm_campaign="winter-launch",
    )


@pytest.fixture
def offer_rule(marketing, legal):
    """Marketing's offer posts need Legal's approval."""
    return ApprovalRule.objects.create(
        department=marketing, approver_department=legal, category="offer"
    )


@pytest.fixture
def make_draft(account, marketing):
    def make(actor, **overrides):
        fields = {
            "account": account,
            "department": marketing,
            "category": "tips",
            "text": "Tip: plan your week's posts on Monday.",
            "scheduled_at": in_days(2),
        }
        fields.update(overrides)
        return services.post_create(actor=actor, **fields)

    return make
