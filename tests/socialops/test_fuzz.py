"""Schemathesis over every operation of /api/v1/: whatever it sends, valid or not, the API
answers without a server error and every answer matches the OpenAPI schema.

Run in-process against the WSGI application with a real API token of an organisation
admin (who may do everything), over a small world whose ids start at 1, so generated ids
find rows. The budget is small and the seed fixed, so CI is fast and repeatable;
`make fuzz` runs the same test with a larger budget (FUZZ_MAX_EXAMPLES, FUZZ_SEED)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from socialops.tokens import api_token_create
from tests.factories import (
    CampaignFactory,
    GoalFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    OfferFactory,
    ScheduledPostFactory,
    SourceFactory,
    TimeEntryFactory,
    XAccountFactory,
)

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "6"))
SEED = int(os.environ.get("FUZZ_SEED", "20261206"))


@pytest.fixture
def world(django_db_reset_sequences, owner, colleague, admin_user, marketing):
    """One of each thing the API serves, with ids from 1."""
    account = XAccountFactory()
    SourceFactory(account=account, owner=owner, department=marketing)
    goal = GoalFactory(department=marketing)
    kpi = KPIFactory(goal=goal, metric="followers", target=Decimal("1000"))
    MeasurementFactory(kpi=kpi, value=Decimal("400"), measured_on=dt.date(2026, 11, 20))
    MembershipFactory(department=marketing, role="viewer")
    campaign = CampaignFactory(department=marketing)
    OfferFactory(campaign=campaign)
    ScheduledPostFactory(account=account, department=marketing, owner=owner, campaign=campaign)
    TimeEntryFactory(user=owner, department=marketing, campaign=campaign)
    return admin_user


@pytest.fixture
def api_schema(world):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture
def token(world):
    return api_token_create(user=world).key


# Path parameters of rows that exist, so updates, deletes and actions reach the services.
KNOWN = {"id": 1, "slug": "marketing", "key": "followers"}


def fuzz(operation, token: str) -> None:
    """MAX_EXAMPLES requests to one operation: data that fits its schema and data that
    does not, for rows that exist and for any id; each answer checked."""
    known = {
        parameter.name: KNOWN[parameter.name]
        for parameter in operation.path_parameters
        if parameter.name in KNOWN
    }
    strategy = (
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)
        | operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known)
        | operation.as_strategy(GenerationMode.POSITIVE)
    )

    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        phases=[hypothesis.Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=True,
    )
    @hypothesis.seed(SEED)
    def run(case):
        case.call_and_validate(
            headers={"Authorization": f"Token {token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    run()


def test_no_request_makes_a_server_error_and_every_answer_matches_the_schema(api_schema, token):
    # One test over every operation (schemathesis' own pytest loader does not run under
    # pytest 9.2), so the world is built once; every failing operation is reported.
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            fuzz(operation, token)
        except Exception as exc:  # a failed check, with its reproduction
            failures.append(f"{operation.label}: {exc}")

    assert operations > 40
    assert not failures, "\n\n".join(failures)
