"""prospect_upsert, the CRM's write by CRM id: one transaction that updates or adds, and
two upserts of one new CRM id at once make one prospect (PostgreSQL, two connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from listening.models import XUser
from prospects import services
from prospects.models import ListMember, MemberEvent, Prospect, ProspectList, Stage, StageChange
from tests.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def targets(rep):
    XUser.objects.create(id=555, username="ceo_ann", name="Ann", fetched_at=timezone.now())
    XUser.objects.create(id=556, username="cfo_bob", name="Bob", fetched_at=timezone.now())
    return services.prospect_list_create(actor=rep, name="Targets")


def test_upsert_adds_then_updates_and_sets_the_stage(rep, targets):
    prospect, created = services.prospect_upsert(
        actor=rep, crm_id="SF-1", prospect_list=targets, handle="ceo_ann", company="Ann Co"
    )
    assert created and prospect.crm_id == "SF-1" and prospect.company == "Ann Co"
    again, created = services.prospect_upsert(
        actor=rep, crm_id="SF-1", title="CEO", stage=services.stage_by_key("meeting")
    )
    assert not created and again.pk == prospect.pk
    again.refresh_from_db()
    assert (again.title, again.company, again.stage.key) == ("CEO", "Ann Co", "meeting")
    assert Prospect.objects.count() == 1


def test_a_failed_upsert_leaves_nothing_half_written(rep, targets):
    """The stage it is sent to was deleted meanwhile: the move fails as the transaction
    commits, after the add, and the add goes with it."""
    services.stages_ensure()
    pilot = Stage.objects.create(key="pilot", name="Pilot", position=8)
    Stage.objects.filter(pk=pilot.pk).delete()
    with pytest.raises(IntegrityError):
        services.prospect_upsert(
            actor=rep, crm_id="SF-9", prospect_list=targets, handle="ceo_ann", stage=pilot
        )
    assert not Prospect.objects.exists()
    assert not ListMember.objects.exists() and not StageChange.objects.exists()
    assert not MemberEvent.objects.exists()


def _waiting_on_locks() -> int:
    """Other sessions of this test database waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("handles", [("ceo_ann", "ceo_ann"), ("ceo_ann", "cfo_bob")])
def test_two_upserts_of_one_new_crm_id_at_once_make_one_prospect(rep, targets, handles):
    """Both find the CRM id free and ask X before either writes; the list's row is held
    locked meanwhile by a third connection, so both are inside their transactions at
    once. Released, one adds and the other updates the prospect it added — with the same
    handle or another: the CRM id names one prospect."""
    assert connection.vendor == "postgresql"
    results: list[tuple[Prospect, bool]] = []
    errors: list[BaseException] = []
    release = threading.Event()
    holding = threading.Event()

    def hold_the_list() -> None:
        try:
            with transaction.atomic():
                ProspectList.objects.select_for_update().get(pk=targets.pk)
                holding.set()
                release.wait(timeout=120)
        finally:
            connections.close_all()

    def upsert(handle: str, company: str) -> None:
        try:
            results.append(
                services.prospect_upsert(
                    actor=rep,
                    crm_id="SF-42",
                    prospect_list=targets,
                    handle=handle,
                    company=company,
                )
            )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_list)
    holder.start()
    assert holding.wait(timeout=60)
    upserts = [
        threading.Thread(target=upsert, args=(handle, f"Company {i}"))
        for i, handle in enumerate(handles)
    ]
    for thread in upserts:
        thread.start()
    # One waits on the list's row (inside _member_add), the other on the CRM id's lock.
    assert wait_for(lambda: _waiting_on_locks() == 2, timeout=60)
    release.set()
    for thread in [holder, *upserts]:
        thread.join(timeout=120)
        assert not thread.is_alive()

    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert Prospect.objects.count() == 1
    prospect = Prospect.objects.get()
    assert prospect.crm_id == "SF-42" and prospect.x_user.username in handles
    assert {p.pk for p, _ in results} == {prospect.pk}
    assert ListMember.objects.filter(prospect_list=targets).count() == 1
    # Both writes landed, in turn: the later one's company stands.
    assert prospect.company in {"Company 0", "Company 1"}
