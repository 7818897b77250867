"""DMs pulled by the ingestion machinery from the bundled simulator: read once, stored
once (rows keyed by X's event id), the cursor moved in the same transaction as the rows,
a 429 rescheduled, a 5xx resumed, billed as X bills posts — and never shown with posts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from listening import billing, ingest, selectors
from listening import client as x
from listening.ingest import source_run
from listening.models import DirectMessage, Source, SourceRun, Tweet, XAccount, XUser
from listening.services import source_create
from tests.factories import DirectMessageFactory, XAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def help_account(xsim, settings):
    settings.X_API_BASE_URL = xsim.url
    return XAccount.objects.create(
        username="brightline_help",
        x_user_id=int(xsim.user_id("brightline_help")),
        access_token=xsim.user_token("brightline_help"),
    )


@pytest.fixture
def dms(help_account):
    return Source.objects.create(name="DMs", kind="dms", account=help_account)


def _on_x(xsim, account: XAccount) -> dict[int, dict]:
    """Every DM event of the account on X, by id."""
    c = x.XClient(token=account.access_token, base_url=xsim.url)
    events, token = {}, None
    while True:
        page = c.dm_events_page(pagination_token=token)
        events |= {e.id: e for e in page.events}
        if not page.next_token:
            return events
        token = page.next_token


@pytest.fixture
def received(monkeypatch):
    """What ingestion told the inbox about, in order."""
    calls: list[int] = []
    real = ingest.direct_messages_received

    def record(*, source, messages):
        calls.extend(m.pk for m in messages)
        real(source=source, messages=messages)

    monkeypatch.setattr(ingest, "direct_messages_received", record)
    return calls


def test_a_run_stores_every_dm_once_with_direction_and_sender(xsim, help_account, dms, received):
    customer = xsim.world()["people"]["customer"][0]
    xsim.inject_dm(customer["username"], "brightline_help", "Is it down? I can't log in")
    sent = x.XClient(token=help_account.access_token).send_dm(
        "Not down: try again now?", participant_id=int(customer["id"])
    )
    on_x = _on_x(xsim, help_account)

    run = source_run(source_id=dms.pk)

    assert run.status == "ok" and run.posts_new == len(on_x) > 5
    stored = {m.pk: m for m in DirectMessage.objects.all()}
    assert stored.keys() == on_x.keys()
    assert sorted(received) == sorted(on_x)  # told once about each
    ours = stored[sent.dm_event_id]
    assert ours.direction == "out" and ours.recipient_id == int(customer["id"])
    theirs = DirectMessage.objects.get(text="Is it down? I can't log in")
    assert theirs.direction == "in" and theirs.recipient_id == help_account.x_user_id
    assert theirs.sender.username == customer["username"]  # the sender's profile came along
    assert theirs.dm_conversation_id == ours.dm_conversation_id == sent.dm_conversation_id
    assert theirs.raw["text"] == theirs.text and theirs.created_at and theirs.first_seen_at
    dms.refresh_from_db()
    assert dms.since_id == max(on_x) and (dms.page_token, dms.pending_since_id) == ("", None)
    assert not Tweet.objects.exists()  # DMs are not posts


def test_the_next_run_reads_only_what_arrived_in_small_pages(xsim, help_account, dms, received):
    source_run(source_id=dms.pk)
    xsim.config(dm_rate=60)
    for _ in range(3):
        # A new 15-minute window each time: X allows 15 DM reads in one.
        xsim.advance(900)
        stored = set(DirectMessage.objects.values_list("pk", flat=True))
        arrived = set(_on_x(xsim, help_account)) - stored
        received.clear()
        run = source_run(source_id=dms.pk)
        assert run.status == "ok" and run.posts_new == len(arrived)
        assert set(received) == arrived
        # Read down to the newest one stored, not the whole timeline again.
        assert run.posts_read <= len(arrived) + 40
    assert DirectMessage.objects.count() == len(_on_x(xsim, help_account))


def test_a_429_reschedules_for_xs_reset(xsim, help_account, dms):
    xsim.fail(429, path="/2/dm_events", reset_in=300)
    run = source_run(source_id=dms.pk)
    assert run.status == SourceRun.Status.RATE_LIMITED
    dms.refresh_from_db()
    help_account.refresh_from_db()
    assert help_account.status == XAccount.Status.RATE_LIMITED
    assert dms.next_run_at == help_account.rate_limited_until
    assert not DirectMessage.objects.exists() and dms.lease_token == ""


def test_a_5xx_mid_run_keeps_the_pages_read_and_the_next_run_resumes(xsim, help_account, dms):
    xsim.config(dm_rate=400)
    xsim.advance(1800)  # ~200 more: three pages
    on_x = _on_x(xsim, help_account)
    assert len(on_x) > 200

    # The first page commits; X answers the second with a 503.
    def after_a_page(result):
        if result.pages == 1:
            xsim.fail(503, path="/2/dm_events", count=1)

    with pytest.raises(x.Transient):
        source_run(source_id=dms.pk, on_page=after_a_page)
    first = SourceRun.objects.get()
    assert first.pages == 1 and first.status == SourceRun.Status.ERROR
    kept = set(DirectMessage.objects.values_list("pk", flat=True))
    assert len(kept) == first.posts_new == 100
    dms.refresh_from_db()
    assert dms.page_token and dms.pending_since_id == max(kept) and not dms.since_id

    resumed = source_run(source_id=dms.pk)

    assert resumed.status == "ok" and resumed.posts_new == len(on_x) - len(kept)
    assert set(DirectMessage.objects.values_list("pk", flat=True)) == set(on_x)
    dms.refresh_from_db()
    assert dms.since_id == max(on_x)


def test_dm_events_are_billed_like_posts_once_a_day(xsim, help_account, dms):
    run = source_run(source_id=dms.pk)
    record = SourceRun.objects.get()
    senders = XUser.objects.filter(direct_messages__isnull=False).distinct().count()
    assert record.posts_billed == run.posts_read == DirectMessage.objects.count()
    assert record.users_billed >= senders
    assert record.cost == (
        billing.PRICE_POST * record.posts_billed + billing.PRICE_USER * record.users_billed
    )
    again = source_run(source_id=dms.pk)  # the newest event again, the same UTC day
    assert again.posts_read >= 1
    assert SourceRun.objects.order_by("-started_at").first().cost == Decimal(0)


def test_reading_dms_takes_a_connected_account(admin_user):
    read_only = XAccountFactory(username="brightline_ro", x_user_id=5, auth="app")
    with pytest.raises(ValidationError) as refused:
        source_create(actor=admin_user, name="DMs", kind="dms", account=read_only)
    assert "account" in refused.value.message_dict


# --- Private: never shown with posts ----------------------------------------------------

SECRET = "My account number is 99-1234, please refund the double charge"


@pytest.fixture(params=["member", "colleague", "admin"])
def anyone(request, owner, colleague, admin_user):
    return {"member": owner, "colleague": colleague, "admin": admin_user}[request.param]


def test_dms_never_appear_with_posts(client, anyone):
    dm = DirectMessageFactory(text=SECRET)
    source = Source.objects.create(name="DMs", kind="dms", account=dm.account)
    client.force_login(anyone)
    pages = [
        reverse("listening:stream"),
        reverse("listening:stream") + "?q=refund",
        source.get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200 and SECRET not in response.content.decode(), url
    export = client.get(reverse("listening:stream_export"))
    assert SECRET not in b"".join(export.streaming_content).decode()
    api = APIClient()
    api.force_authenticate(anyone)
    for url in ["/api/v1/tweets/", "/api/v1/tweets/?q=refund", f"/api/v1/tweets/{dm.pk}/"]:
        response = api.get(url)
        assert response.status_code in (200, 404) and SECRET not in response.content.decode()
    assert client.get(f"/listening/posts/{dm.pk}/").status_code == 404


def test_only_admins_read_raw_dms(owner, colleague, admin_user, client):
    dm = DirectMessageFactory(text=SECRET)
    assert list(selectors.direct_message_list(user=admin_user)) == [dm]
    assert not selectors.direct_message_list(user=owner).exists()
    assert not selectors.direct_message_list(user=colleague).exists()
    client.force_login(admin_user)
    listing = client.get("/admin/listening/directmessage/")
    assert listing.status_code == 200 and str(dm.pk) in listing.content.decode()
