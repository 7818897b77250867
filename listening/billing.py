"""X's bill: what reading through an account costs, counted as X charges it.

X's pay-per-use prices (February 2026, ../shared/xapi/README.md and X's "Usage and
billing" page): a post read, a user read, an "owned read" (your own mentions and posts).
X charges a resource once per UTC day however often it is read ("daily deduplication"):
a list re-read every 30 seconds costs its new posts, not its whole page each time. A DM
event read is billed as a post read (at the post price, recorded as a POST row under its
event id: X's ids are unique across posts and events).

Every page a run commits records the posts and users it read as BilledRead rows of the
account and the UTC day; only the rows that were new are billed. The month's spend per
account (AccountSpend) grows in the same transaction, so the budget check is one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection

from listening.models import AccountSpend, BilledRead, Source

PRICE_POST = Decimal("0.005")
PRICE_USER = Decimal("0.010")
PRICE_OWNED = Decimal("0.001")
OWNED_KINDS = frozenset({Source.Kind.MENTIONS, Source.Kind.OWN_POSTS})


@dataclass(frozen=True)
class Bill:
    posts: int = 0
    users: int = 0
    cost: Decimal = Decimal(0)


def billing_day(now: datetime) -> date:
    """X's billing day: the UTC date."""
    return now.astimezone(UTC).date()


def billing_month(now: datetime) -> date:
    """The first day of the UTC month: budgets and spend are per calendar month."""
    return billing_day(now).replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def post_price(kind: str) -> Decimal:
    return PRICE_OWNED if kind in OWNED_KINDS else PRICE_POST


def list_price(*, kind: str, posts: int, users: int) -> Decimal:
    """What reading this many posts and users costs before X's daily dedupe."""
    return post_price(kind) * posts + PRICE_USER * users


def reads_bill(
    *,
    account_id: int,
    kind: str,
    now: datetime,
    post_ids: Iterable[int],
    user_ids: Iterable[int],
) -> Bill:
    """Record the posts and users a page read and return what X bills for them: those
    not yet billed to the account today. Adds the cost to the month's spend. Call inside
    the transaction that stores the page, so a page rolled back is not billed."""
    day = billing_day(now)
    posts = _insert_new(account_id, day, BilledRead.Kind.POST, post_ids)
    users = _insert_new(account_id, day, BilledRead.Kind.USER, user_ids)
    bill = Bill(posts, users, post_price(kind) * posts + PRICE_USER * users)
    if posts or users:
        _spend_add(account_id, billing_month(now), bill)
    return bill


def reads_forget(*, account_id: int, now: datetime) -> None:
    """Drop the account's billed reads of past days: tomorrow X bills them again."""
    BilledRead.objects.filter(account_id=account_id, day__lt=billing_day(now)).delete()


def _columns(model, names: list[str]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(n).column) for n in names)


def _insert_new(account_id: int, day: date, kind: str, ids: Iterable[int]) -> int:
    """Insert (account, day, kind, id) rows, skipping those present; the number inserted.
    Sorted, so that two runs of one account inserting overlapping ids take their row
    locks in the same order (no deadlock); the unique key makes the count right when
    they run at once (the second waits for the first, then skips its rows)."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    table = connection.ops.quote_name(BilledRead._meta.db_table)
    cols = _columns(BilledRead, ["account", "day", "kind", "x_id"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT %s, %s::date, %s, unnest(%s::bigint[]) "
                "ON CONFLICT DO NOTHING",
                [account_id, day.isoformat(), kind, ids],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(account_id, day.isoformat(), kind, pk) for pk in ids],
            )
        return cursor.rowcount


def _spend_add(account_id: int, month: date, bill: Bill) -> None:
    quote = connection.ops.quote_name
    table = quote(AccountSpend._meta.db_table)
    cols = _columns(AccountSpend, ["account", "month", "cost", "posts_billed", "users_billed"])
    adds = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}"
        for c in ("cost", "posts_billed", "users_billed")
    )
    conflict = _columns(AccountSpend, ["account", "month"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({cols}) VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {adds}",
            [account_id, month.isoformat(), bill.cost, bill.posts, bill.users],
        )
