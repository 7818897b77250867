"""Creating tracked links: validation as field errors, and who may create them."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.links.services import link_create
from campaigns.models import TrackedLink
from socialops.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "destination",
    [
        "javascript:alert(1)",
        "ftp://files.example.com/a.zip",
        "https://",
        "http:///path-only",
        "data:text/html,hi",
        "//evil.example.com/",
        "shop.example.com",
        "",
    ],
)
def test_a_destination_must_be_a_web_address(owner, campaign, destination):
    with pytest.raises(ValidationError) as error:
        link_create(actor=owner, destination=destination, campaign=campaign)
    assert "destination" in error.value.message_dict
    assert not TrackedLink.objects.exists()


def test_a_link_gets_a_short_random_code_and_an_audit_row(owner, campaign):
    first = link_create(actor=owner, destination="https://example.com/a", campaign=campaign)
    second = link_create(actor=owner, destination="https://example.com/a", campaign=campaign)
    for link in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9_-]{7}", link.code)
        assert link.created_by == owner
    assert first.code != second.code
    assert AuditEvent.objects.filter(object_type="campaigns.trackedlink").count() == 2


def test_utm_tags_that_are_too_long_are_field_errors(owner, campaign):
    with pytest.raises(ValidationError) as error:
        link_create(
            actor=owner, destination="https://example.com", campaign=campaign, utm_source="x" * 61
        )
    assert "utm_source" in error.value.message_dict


def test_the_campaigns_department_may_create_its_links(owner, campaign):
    assert link_create(actor=owner, destination="https://example.com", campaign=campaign).pk


def test_a_colleague_of_another_department_may_not(colleague, campaign):
    with pytest.raises(PermissionDenied):
        link_create(actor=colleague, destination="https://example.com", campaign=campaign)
    assert not TrackedLink.objects.exists()


def test_an_admin_may(admin_user, campaign):
    assert link_create(actor=admin_user, destination="https://example.com", campaign=campaign).pk


def test_a_link_outside_campaigns_needs_an_editor_of_some_department(owner, colleague, db):
    from tests.factories import MembershipFactory

    viewer = MembershipFactory(role="viewer").user
    assert link_create(actor=owner, destination="https://example.com").pk
    assert link_create(actor=colleague, destination="https://example.com").pk
    with pytest.raises(PermissionDenied):
        link_create(actor=viewer, destination="https://example.com")
