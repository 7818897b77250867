"""The demo loads Sofia's and Sam's mirrored lists from the simulator, once."""

from __future__ import annotations

import pytest

from prospects.demo import demo_prospects_load
from prospects.models import Interaction, Prospect, ProspectList
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_demo_prospects(sales, account):
    MembershipFactory(department=sales, role="member", user__username="sofia")
    MembershipFactory(department=sales, role="lead", user__username="sam")
    assert demo_prospects_load(account=account, out=lambda *_: None) >= 8
    assert set(ProspectList.objects.values_list("owner__username", flat=True)) == {"sofia", "sam"}
    assert ProspectList.objects.filter(x_list_id__isnull=True).count() == 0
    assert Prospect.objects.filter(stage__key="customer").count() == 1
    assert set(Prospect.objects.values_list("stage__key", flat=True)) >= {
        "conversation", "meeting", "opportunity", "customer", "identified"
    }  # fmt: skip
    assert Interaction.objects.filter(kind="call").count() == 6
    assert Interaction.objects.filter(kind="dm_received").exists()
    assert demo_prospects_load(account=account, out=lambda *_: None) == 0  # once
