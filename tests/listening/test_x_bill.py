"""The X bill: lists read about once per post, costs counted as X bills them (a post read
twice in one UTC day is charged once), and a monthly budget per account with a warning
at 80 % and an optional pause at 100 %."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum

from listening import billing, selectors, services
from listening.ingest import PAUSED, list_page_sizes, source_run
from listening.models import AccountSpend, BilledRead, Source, SourceRun
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = pytest.mark.django_db

INTERVAL = 30  # simulated seconds between runs, as the demo's private list


@pytest.fixture
def account(brightline_account):
    return brightline_account


@pytest.fixture
def prospects(xsim, account, owner):  # noqa: F811
    """The sales rep's private list of prospects, read once (its history)."""
    private = next(item for item in xsim.world()["lists"] if item["private"])
    source = Source.objects.create(
        name="Prospects",
        kind="list",
        x_list_id=int(private["id"]),
        account=account,
        is_private=True,
        owner=owner,
    )
    assert source_run(source_id=source.pk).status == "ok"
    return source


def _list_ids(xsim, source: Source) -> list[int]:  # noqa: F811
    """Every post on the list's timeline now, as X has it (X serves the newest 800)."""
    token = xsim.user_token("brightline")
    ids: list[int] = []
    params = {"max_results": 100}
    while True:
        page = xsim.get(f"/2/lists/{source.x_list_id}/tweets", token=token, **params).json
        ids += [int(t["id"]) for t in page.get("data", [])]
        if "next_token" not in page["meta"]:
            return ids
        params["pagination_token"] = page["meta"]["next_token"]


def _runs_after(first: SourceRun):
    return SourceRun.objects.filter(source=first.source, started_at__gt=first.started_at)


def test_a_list_with_few_new_posts_reads_each_about_once(xsim, prospects):  # noqa: F811
    """The demo's case: a private list pulled every 30 s, 6 posts added over 40 runs.
    Before, each run read a full page of 100 posts (4,000 reads, US$20 and more)."""
    first = SourceRun.objects.get(source=prospects)
    before = set(_list_ids(xsim, prospects))
    members = [p["username"] for p in xsim.world()["people"]["prospect"]]
    inject_at = {4: 1, 11: 2, 19: 1, 30: 1, 36: 1}  # run number -> posts added before it
    injected = []
    for n in range(1, 41):
        xsim.advance(INTERVAL)
        for i in range(inject_at.get(n, 0)):
            injected.append(
                int(xsim.inject(f"Budget season again #{n}.{i}", author=members[n % 16]))
            )
        assert source_run(source_id=prospects.pk).status == "ok"

    gained = set(_list_ids(xsim, prospects)) - before
    assert set(injected) <= gained  # the 6 posts, and whatever the members posted meanwhile
    stream = set(prospects.source_tweets.values_list("tweet_id", flat=True))
    assert gained <= stream  # nothing missed
    runs = _runs_after(first)
    assert runs.count() == 40
    totals = runs.aggregate(read=Sum("posts_read"), billed=Sum("posts_billed"), cost=Sum("cost"))
    new = len(gained)
    # A quiet run reads one post (the newest we have); a run with k new posts reads them,
    # the newest we had, and at most about k more while the pages grow.
    assert totals["read"] <= 40 + 2 * new
    # X bills the post every quiet run re-reads once a day: the bill is the new posts.
    assert totals["billed"] <= new + 3
    assert totals["cost"] < Decimal("0.25")


def test_a_busy_list_reads_each_post_about_once(xsim, prospects):  # noqa: F811
    """With dozens of new posts between runs, the first page asks for about as many as
    the last run found: posts read per post stored stays near 1."""
    first = SourceRun.objects.get(source=prospects)
    before = set(_list_ids(xsim, prospects))
    members = [p["username"] for p in xsim.world()["people"]["prospect"]]
    for n in range(12):
        xsim.advance(INTERVAL)
        xsim.inject_many(
            [{"text": f"Q{n} update {i}", "author": members[i % len(members)]} for i in range(60)]
        )
        assert source_run(source_id=prospects.pk).status == "ok"
    gained = set(_list_ids(xsim, prospects)) - before
    assert gained <= set(prospects.source_tweets.values_list("tweet_id", flat=True))
    read = _runs_after(first).aggregate(read=Sum("posts_read"))["read"]
    assert read / len(gained) <= 1.25


def test_list_page_sizes_start_from_what_is_expected_and_grow():
    sizes = list_page_sizes(0)
    assert [next(sizes) for _ in range(9)] == [1, 1, 2, 4, 8, 16, 32, 64, 100]
    sizes = list_page_sizes(49)
    assert [next(sizes) for _ in range(4)] == [50, 7, 14, 28]
    assert next(list_page_sizes(500)) == 100


# --- What X bills ---------------------------------------------------------------------


def _at(day: str, time: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}:00").replace(tzinfo=UTC)


def _bill(account, now, posts=(), users=(), kind="search"):
    return billing.reads_bill(
        account_id=account.pk, kind=kind, now=now, post_ids=posts, user_ids=users
    )


def test_a_post_read_twice_in_a_utc_day_is_billed_once(account):
    first = _bill(account, _at("2026-12-06", "00:00"), posts=[1, 2, 3], users=[7])
    again = _bill(account, _at("2026-12-06", "23:59"), posts=[2, 3, 4], users=[7, 8])
    assert (first.posts, first.users, first.cost) == (3, 1, Decimal("0.025"))
    assert (again.posts, again.users, again.cost) == (1, 1, Decimal("0.015"))
    # Mentions and our own posts are "owned reads", a fifth of the price.
    owned = _bill(account, _at("2026-12-06"), posts=[5, 6], kind="mentions")
    assert owned.cost == Decimal("0.002")
    spend = AccountSpend.objects.get(account=account)
    assert spend.month.isoformat() == "2026-12-01"
    assert (spend.cost, spend.posts_billed, spend.users_billed) == (Decimal("0.042"), 6, 2)


def test_after_midnight_utc_the_same_post_is_billed_again(account):
    assert _bill(account, _at("2026-12-06", "23:59"), posts=[1], users=[7]).posts == 1
    next_day = _bill(account, _at("2026-12-07", "00:00"), posts=[1], users=[7])
    assert (next_day.posts, next_day.users) == (1, 1)
    # Yesterday's rows go when the account's next run starts.
    billing.reads_forget(account_id=account.pk, now=_at("2026-12-07"))
    assert set(BilledRead.objects.values_list("day", flat=True)) == {_at("2026-12-07").date()}


def test_the_utc_day_not_the_local_one(account):
    # 23:30 in New York on the 6th is 04:30 UTC on the 7th: a new billing day.
    new_york = datetime.fromisoformat("2026-12-06T23:30:00-05:00")
    _bill(account, _at("2026-12-06", "20:00"), posts=[1])
    assert _bill(account, new_york, posts=[1]).posts == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_bill_a_post_they_both_read_once(account):
    """Two sources of the account commit overlapping pages at the same moment: the
    second waits on the first's rows, then skips them — billed once between them."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    now, inserted, bills = datetime.now(UTC), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                bills["first"] = _bill(account, now, posts=range(1, 101), users=[7])
                inserted.set()
                _wait_for_a_lock_waiter()  # the second run is blocked on our rows
        finally:
            connection.close()

    def second():
        try:
            inserted.wait(timeout=30)
            with transaction.atomic():
                bills["second"] = _bill(account, now, posts=range(51, 151), users=[7, 8])
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (bills["first"].posts, bills["second"].posts) == (100, 50)
    assert (bills["first"].users, bills["second"].users) == (1, 1)
    spend = AccountSpend.objects.get(account=account)
    assert (spend.posts_billed, spend.users_billed) == (150, 2)
    assert spend.cost == Decimal("0.77")


def _wait_for_a_lock_waiter(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            # Statistics views are a snapshot kept for the transaction: drop it each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second run never waited on the first one's rows")


def test_sources_of_one_account_share_the_days_bill(xsim, account):  # noqa: F811
    """A search and the mentions read the same mentions: X bills each post once."""
    mentions = Source.objects.create(name="Mentions", kind="mentions", account=account)
    search = Source.objects.create(name="Us", kind="search", query="@brightline", account=account)
    source_run(source_id=mentions.pk)
    xsim.advance(600)
    source_run(source_id=search.pk)
    source_run(source_id=mentions.pk)
    runs = SourceRun.objects.all()
    read_ids = runs.aggregate(read=Sum("posts_read"))["read"]
    billed = runs.aggregate(billed=Sum("posts_billed"))["billed"]
    distinct = BilledRead.objects.filter(kind="post").count()
    assert billed == distinct < read_ids
    spend = AccountSpend.objects.get(account=account)
    assert spend.cost == runs.aggregate(cost=Sum("cost"))["cost"]


def test_runs_across_midnight_bill_the_list_probe_once_a_day(xsim, prospects):  # noqa: F811
    """A quiet list re-reads its newest post every run: billed once per UTC day."""
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    tonight = tomorrow.replace(hour=23, minute=0, second=0, microsecond=0)
    for minutes in (0, 20, 40, 70, 90):  # 23:00, 23:20, 23:40, 00:10, 00:30
        result = source_run(source_id=prospects.pk, now=tonight + timedelta(minutes=minutes))
        assert result.status == "ok" and result.posts_new == 0
    runs = SourceRun.objects.filter(started_at__gte=tonight).order_by("started_at")
    assert [r.posts_read for r in runs] == [1, 1, 1, 1, 1]
    assert [r.posts_billed for r in runs] == [1, 0, 0, 1, 0]


# --- The budget -----------------------------------------------------------------------


def _spend(account, cost: str, now: datetime | None = None) -> None:
    month = billing.billing_month(now or datetime.now(UTC))
    AccountSpend.objects.update_or_create(
        account=account, month=month, defaults={"cost": Decimal(cost)}
    )


def test_budget_states(account, admin_user):
    assert selectors.account_budget(account=account).state == "none"
    services.account_budget_set(
        actor=admin_user, account=account, monthly_budget=Decimal("10"), budget_pause=False
    )
    _spend(account, "7.99")
    account.refresh_from_db()
    assert selectors.account_budget(account=account).state == "ok"
    _spend(account, "8.00")
    budget = selectors.account_budget(account=account)
    assert (budget.state, budget.percent) == ("warning", 80)
    _spend(account, "10.00")
    assert selectors.account_budget(account=account).state == "over"  # still reading
    services.account_budget_set(
        actor=admin_user, account=account, monthly_budget=Decimal("10"), budget_pause=True
    )
    account.refresh_from_db()
    assert selectors.account_budget(account=account).state == "paused"


def test_a_paused_account_stops_pulling_until_next_month_or_a_raise(
    xsim,  # noqa: F811
    account,
    admin_user,
):
    source = Source.objects.create(name="Mentions", kind="mentions", account=account)
    services.account_budget_set(
        actor=admin_user, account=account, monthly_budget=Decimal("5"), budget_pause=True
    )
    _spend(account, "5.00")
    assert services.sources_enqueue_due() == []
    assert list(selectors.source_list_due()) == []
    refused = source_run(source_id=source.pk)  # "Run now", a queued task, x_sync SOURCE
    assert (refused.status, refused.error) == (PAUSED, "its account reached its monthly X budget")
    assert not SourceRun.objects.exists()

    # Next month: the spend starts again from nothing.
    next_month = datetime.now(UTC).replace(day=1) + timedelta(days=32)
    assert list(selectors.source_list_due(now=next_month)) == [source]
    assert source_run(source_id=source.pk, now=next_month).status == "ok"

    # This month, once the budget is raised.
    services.account_budget_set(
        actor=admin_user, account=account, monthly_budget=Decimal("50"), budget_pause=True
    )
    assert services.sources_enqueue_due() == [source.pk]


def test_a_run_stops_at_the_budget_and_resumes_where_it_stopped(
    xsim,  # noqa: F811
    account,
    admin_user,
    settings,
):
    """A long first read (X's 800 mentions) pauses between batches once the spend
    reaches the budget; after a raise, the next run carries on from the saved page."""
    settings.X_INGEST_BATCH_PAGES = 1
    source = Source.objects.create(name="Mentions", kind="mentions", account=account)
    services.account_budget_set(
        actor=admin_user, account=account, monthly_budget=Decimal("0.15"), budget_pause=True
    )
    assert source_run(source_id=source.pk).status == "ok"
    source.refresh_from_db()
    assert source.page_token  # stopped mid-way
    spent = AccountSpend.objects.get(account=account).cost
    assert Decimal("0.15") <= spent < Decimal("0.15") + Decimal("1.10")  # one page over at most
    assert source_run(source_id=source.pk).status == PAUSED

    services.account_budget_set(
        actor=admin_user, account=account, monthly_budget=Decimal("100"), budget_pause=True
    )
    assert source_run(source_id=source.pk).status == "ok"
    source.refresh_from_db()
    assert source.page_token == "" and source.since_id


# --- Pages and API --------------------------------------------------------------------


@pytest.fixture
def brightline():
    from tests.factories import XAccountFactory

    return XAccountFactory()


@pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
def test_every_member_sees_the_warning_and_the_pause(request, client, who, brightline, owner):
    from tests.factories import SourceFactory

    SourceFactory(account=brightline, name="Mentions", kind="mentions", owner=owner)
    brightline.monthly_budget, brightline.budget_pause = Decimal("50"), False
    brightline.save()
    client.force_login(request.getfixturevalue(who))
    _spend(brightline, "41.20")
    for path in ("/listening/sources/", f"/listening/accounts/{brightline.pk}/"):
        page = client.get(path).content.decode()
        assert "has spent 82 % of its monthly X budget" in page
        assert "US$41.20 of US$50.00" in page

    brightline.budget_pause = True
    brightline.save()
    _spend(brightline, "50.10")
    page = client.get("/listening/sources/").content.decode()
    assert "reached its monthly X budget: its sources are paused" in page
    assert "Spent this month: US$50.10 of US$50.00" in page
    assert "Budget reached" in page  # on the source's row
    page = client.get(f"/listening/accounts/{brightline.pk}/").content.decode()
    assert "its sources are paused" in page


def test_under_80_percent_no_notice(client, owner, brightline):
    brightline.monthly_budget = Decimal("50")
    brightline.save()
    _spend(brightline, "39.99")
    client.force_login(owner)
    page = client.get("/listening/sources/").content.decode()
    assert "budget-notices" not in page and "Within budget" in page


def test_an_admin_sets_the_budget_on_the_account_page(client, admin_user, brightline):
    client.force_login(admin_user)
    url = f"/listening/accounts/{brightline.pk}/budget/"
    response = client.post(url, {"monthly_budget": "75.50", "budget_pause": "on"})
    assert response.status_code == 302
    brightline.refresh_from_db()
    assert (brightline.monthly_budget, brightline.budget_pause) == (Decimal("75.50"), True)
    # Cleared again: no budget, no pause.
    assert client.post(url, {"monthly_budget": ""}).status_code == 302
    brightline.refresh_from_db()
    assert (brightline.monthly_budget, brightline.budget_pause) == (None, False)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"monthly_budget": "-5"}, "greater than or equal to 0.01"),
        ({"monthly_budget": "0"}, "greater than or equal to 0.01"),
        ({"monthly_budget": "abc"}, "Enter a number."),
        ({"monthly_budget": "123456789012"}, "no more than 10 digits"),
        ({"monthly_budget": "1.234"}, "no more than 2 decimal places"),
        ({"monthly_budget": "NaN"}, "Enter a number."),
        ({"monthly_budget": "", "budget_pause": "on"}, "Set a monthly budget to pause at."),
    ],
)
def test_bad_budgets_are_field_errors_and_change_nothing(
    client, admin_user, brightline, data, message
):
    client.force_login(admin_user)
    response = client.post(f"/listening/accounts/{brightline.pk}/budget/", data)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="errors-monthly_budget"><li>' in page and message in page
    brightline.refresh_from_db()
    assert (brightline.monthly_budget, brightline.budget_pause) == (None, False)


@pytest.mark.parametrize("who", ["owner", "colleague"])
def test_only_admins_set_budgets(request, client, who, brightline):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.post(f"/listening/accounts/{brightline.pk}/budget/", {"monthly_budget": "9"})
    assert response.status_code == 403
    assert "budget-form" not in client.get(f"/listening/accounts/{brightline.pk}/").content.decode()
    api = _api(user).put(
        f"/api/v1/accounts/{brightline.pk}/budget/", {"monthly_budget": "9"}, format="json"
    )
    assert api.status_code == 403
    brightline.refresh_from_db()
    assert brightline.monthly_budget is None


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_shows_and_sets_the_budget(admin_user, owner, brightline):
    _spend(brightline, "12.3456")
    answer = _api(owner).get(f"/api/v1/accounts/{brightline.pk}/").json()
    assert answer["monthly_budget"] is None and answer["budget"]["state"] == "none"
    assert answer["budget"]["spent"] == "12.3456"

    url = f"/api/v1/accounts/{brightline.pk}/budget/"
    response = _api(admin_user).put(
        url, {"monthly_budget": "15.00", "budget_pause": True}, format="json"
    )
    assert response.status_code == 200
    budget = response.json()["budget"]
    assert response.json()["monthly_budget"] == "15.00"
    assert (budget["state"], budget["percent"]) == ("warning", 82)
    assert budget["resumes_on"] == billing.next_month(budget_month()).isoformat()


def budget_month():
    return billing.billing_month(datetime.now(UTC))


@pytest.mark.parametrize(
    "body, field",
    [
        ({"monthly_budget": "-1"}, "monthly_budget"),
        ({"monthly_budget": "1e40"}, "monthly_budget"),
        ({"monthly_budget": "x"}, "monthly_budget"),
        ({}, "monthly_budget"),
        ({"monthly_budget": None, "budget_pause": True}, "budget_pause"),
        ({"monthly_budget": "5", "budget_pause": "maybe"}, "budget_pause"),
    ],
)
def test_api_bad_budgets_are_400_with_field_errors(admin_user, brightline, body, field):
    response = _api(admin_user).put(
        f"/api/v1/accounts/{brightline.pk}/budget/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    brightline.refresh_from_db()
    assert (brightline.monthly_budget, brightline.budget_pause) == (None, False)
