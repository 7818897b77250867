"""The change cursor (`?changed_after=`): changes and deletions in order with the next
cursor; a transaction still open holds back what could sort after it, so a late commit
is never skipped; unknown parameters on lists are a 400."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Conversion
from socialops.models import Tombstone
from socialops.tokens import api_token_create
from tests.factories import UserFactory

URL = "/api/v1/conversions/"
# Other transactions on the same PostgreSQL server (other test runs) hold the cursor back
# while they are open: pages are polled until what was committed shows.
PATIENCE = 120


@pytest.fixture
def reader(db):
    admin = UserFactory(is_superuser=True, is_staff=True)
    return APIClient(
        HTTP_AUTHORIZATION=f"Token {api_token_create(user=admin, scopes={'*': 'read'}).key}"
    )


def conversion(value: str = "1.00") -> Conversion:
    return Conversion.objects.create(
        value=Decimal(value), currency="EUR", occurred_at=timezone.now()
    )


def page(reader: APIClient, cursor: str, **extra) -> dict:
    answer = reader.get(URL, {"changed_after": cursor, **extra})
    assert answer.status_code == 200, answer.content
    return answer.json()


def read_until(reader: APIClient, cursor: str, wanted: set[int]) -> tuple[list[dict], str]:
    """Pages from `cursor` until every id in `wanted` has been seen (or PATIENCE)."""
    seen: list[dict] = []
    deadline = time.monotonic() + PATIENCE
    while True:
        body = page(reader, cursor)
        seen += body["results"]
        cursor = body["next_cursor"]
        if wanted <= {r["id"] for r in seen} or time.monotonic() > deadline:
            return seen, cursor
        if not body["has_more"]:
            time.sleep(0.2)  # a poll between reads, not a wait for a guessed moment


class Writer(threading.Thread):
    """Writes a conversion in a transaction it holds open until released."""

    def __init__(self):
        super().__init__(daemon=True)
        self.written = threading.Event()
        self.release = threading.Event()
        self.pk: int | None = None

    def run(self):
        try:
            with transaction.atomic():
                self.pk = conversion("5.00").pk
                self.written.set()
                assert self.release.wait(PATIENCE)
        finally:
            connection.close()

    def commit(self):
        self.release.set()
        self.join(PATIENCE)


@pytest.mark.django_db(transaction=True)
def test_a_late_commit_is_not_skipped(reader):
    """A writes and stays open; B writes after it and commits. B is held back while A is
    open (an updated_at cursor would hand out B's time and then skip A); once A commits,
    the next page from the cursor already given out returns both, A first."""
    start = "0"
    while (body := page(reader, start))["results"]:
        start = body["next_cursor"]

    a = Writer()
    a.start()
    assert a.written.wait(PATIENCE)
    b = conversion("7.00")

    held = page(reader, start)
    assert b.pk not in {r["id"] for r in held["results"]}
    assert a.pk not in {r["id"] for r in held["results"]}

    a.commit()
    seen, _ = read_until(reader, held["next_cursor"], {a.pk, b.pk})
    ids = [r["id"] for r in seen]
    assert a.pk in ids and b.pk in ids
    assert ids.index(a.pk) < ids.index(b.pk)
    assert next(r for r in seen if r["id"] == b.pk)["object"]["value"] == "7.00"


@pytest.mark.django_db(transaction=True)
def test_a_transaction_older_than_what_was_read_is_returned_on_the_next_page(reader):
    """B begins (and writes) first, A second; A stays open while B commits: B is read,
    and the cursor given with it still returns A once A commits."""
    b = Writer()
    b.start()
    assert b.written.wait(PATIENCE)
    a = Writer()
    a.start()
    assert a.written.wait(PATIENCE)
    b.commit()

    seen, cursor = read_until(reader, "0", {b.pk})
    assert b.pk in {r["id"] for r in seen}
    assert a.pk not in {r["id"] for r in seen}

    a.commit()
    later, _ = read_until(reader, cursor, {a.pk})
    assert a.pk in {r["id"] for r in later}


@pytest.mark.django_db(transaction=True)
def test_updates_bulk_writes_and_deletions(reader):
    kept, gone = conversion(), conversion()
    _, cursor = read_until(reader, "0", {kept.pk, gone.pk})

    Conversion.objects.filter(pk=kept.pk).update(value=Decimal("9.50"))  # a bulk write
    gone_pk = gone.pk
    gone.delete()
    seen, cursor = read_until(reader, cursor, {kept.pk, gone_pk})
    by_id = {r["id"]: r for r in seen}
    assert by_id[kept.pk]["object"]["value"] == "9.50" and not by_id[kept.pk]["deleted"]
    assert by_id[gone_pk] == {"id": gone_pk, "deleted": True, "object": None}
    assert Tombstone.objects.filter(resource="conversions", object_id=gone_pk).exists()

    # Nothing changed since: an empty page keeps the cursor.
    again = page(reader, cursor)
    assert again["results"] == [] and again["next_cursor"] == cursor


@pytest.mark.django_db(transaction=True)
def test_pages_follow_one_another(reader):
    made = {conversion().pk for _ in range(7)}
    read_until(reader, "0", made)
    first = page(reader, "0", page_size=3)
    assert len(first["results"]) == 3 and first["has_more"]
    cursor, ids = "0", []
    while True:
        body = page(reader, cursor, page_size=3)
        ids += [r["id"] for r in body["results"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert made <= set(ids) and len(ids) == len(set(ids))


def test_what_a_user_may_not_read_is_not_in_the_changes(marketing):
    """The cursor reads through the list's selector: who may not list, gets nothing."""
    outsider = UserFactory()  # in no department: conversions are not theirs to read
    conversion()
    key = api_token_create(user=outsider, scopes={"*": "read"}).key
    body = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(URL, {"changed_after": "0"}).json()
    assert body["results"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ({"changed_after": "yesterday"}, "changed_after"),
        ({"changed_after": "1.2.3"}, "changed_after"),
        ({"changed_after": "0", "page_size": "0"}, "page_size"),
        ({"changed_after": "0", "page_size": "5000"}, "page_size"),
        ({"changed_after": "0", "kind": "purchase"}, "kind"),
        ({"updated_since": "2026-01-01"}, "updated_since"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(reader, query, field):
    answer = reader.get(URL, query)
    assert answer.status_code == 400
    assert field in answer.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/campaigns/",
        "/api/v1/links/",
        "/api/v1/tweets/",
        "/api/v1/kpis/",
        "/api/v1/reviews/",
        "/api/v1/prospects/",
        "/api/v1/interactions/",
        "/api/v1/departments/",
        "/api/v1/offers/",
        "/api/v1/metrics/",
        "/api/v1/conversations/",
    ],
)
def test_every_list_refuses_unknown_parameters(reader, url):
    answer = reader.get(url, {"updated_since": "2026-01-01"})
    assert answer.status_code == 400, (url, answer.status_code)
    assert "updated_since" in answer.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/campaigns/",
        "/api/v1/links/",
        "/api/v1/tweets/",
        "/api/v1/kpis/",
        "/api/v1/reviews/",
        "/api/v1/prospects/",
        "/api/v1/interactions/",
        "/api/v1/conversions/",
        "/api/v1/conversations/",
    ],
)
def test_every_crm_resource_has_the_cursor(reader, url):
    answer = reader.get(url, {"changed_after": "0"})
    assert answer.status_code == 200, (url, answer.content)
    assert set(answer.json()) == {"next_cursor", "has_more", "results"}
