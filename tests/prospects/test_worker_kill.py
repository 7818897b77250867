"""A worker SIGKILLed in the middle of a list sync loses nothing and adds nobody twice: a
real Celery worker process, the real X simulator, the real database."""

from __future__ import annotations

import time

import pytest

from listening.models import XAccount
from prospects import services
from prospects.models import ListMember, Prospect
from prospects.tasks import sync_prospect_list
from tests.factories import MembershipFactory
from tests.prospects.conftest import x_members
from tests.worker import celery_worker, wait_for
from tests.xsim_server import run_xsim

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3


def test_sigkill_mid_sync_then_resume(settings):
    with run_xsim(seed=5, speed=0) as sim:
        settings.X_API_BASE_URL = sim.url
        token = sim.user_token("brightline")
        account = XAccount.objects.create(
            username="brightline", x_user_id=int(sim.user_id("brightline")), access_token=token
        )
        x_list = int(
            sim.post("/2/lists", {"name": "Kill", "private": True}, token=token).json["data"]["id"]
        )
        rep = MembershipFactory(department__kind="sales", user__username="rep").user
        prospect_list = services.prospect_list_create(
            actor=rep, name="Targets", account=account, x_list_id=x_list
        )
        people = sim.world()["people"]
        handles = [u["username"] for u in people["customer"][:30]]
        for handle in handles:
            services.prospect_add(actor=rep, prospect_list=prospect_list, handle=handle)
        # Someone adds two more on X meanwhile.
        extra = [u["username"] for u in people["journalist"][:2]]
        for handle in extra:
            sim.post(f"/2/lists/{x_list}/members", {"user_id": sim.user_id(handle)}, token=token)
        # Slow adds, so the kill lands between two of them.
        sim.fail(path=f"/2/lists/{x_list}/members", method="POST", count=60, delay_ms=400)
        env = {"X_API_BASE_URL": sim.url, "X_SOURCE_LEASE_SECONDS": str(LEASE_SECONDS)}

        with celery_worker(env=env) as worker:
            sync_prospect_list.apply_async((prospect_list.pk,), queue=worker.queue)
            assert wait_for(
                lambda: ListMember.objects.filter(state="active").count() >= 3, timeout=60
            ), worker.log()[-3000:]
            worker.kill()

        active = ListMember.objects.filter(state="active").count()
        assert 3 <= active < 30
        time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out

        with celery_worker(env=env) as worker:
            sync_prospect_list.apply_async((prospect_list.pk,), queue=worker.queue)
            assert wait_for(
                lambda: (
                    ListMember.objects.filter(state="active").count() == 32
                    and not ListMember.objects.exclude(state="active").exists()
                ),
                timeout=120,
            ), worker.log()[-3000:]

        on_x = x_members(sim, x_list, token)
    expected = {int(sim_id) for sim_id in on_x}
    assert len(on_x) == len(expected) == 32  # nobody twice on X
    stored = set(ListMember.objects.values_list("prospect__x_user_id", flat=True))
    assert stored == expected  # nothing lost here either
    assert Prospect.objects.count() == 32  # one prospect each
