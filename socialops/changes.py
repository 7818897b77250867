"""The change cursor: what a CRM reads with `?changed_after=<cursor>`.

Every tracked table has a `change_xid` column that a database trigger stamps on each
INSERT and UPDATE — the ORM's saves, bulk writes and raw SQL alike — and a DELETE leaves
a Tombstone stamped the same way. A page is the rows (and tombstones) after the cursor in
(change_xid, id) order, and the next cursor is the last one's pair.

Why not `updated_at`: a transaction that commits after a later-started one has been read
carries an earlier time and would be skipped. On PostgreSQL `change_xid` is the writing
transaction's id (`txid_current()`), and a page holds back every row whose transaction
id is not below the oldest transaction still running (`pg_snapshot_xmin` of the
statement's snapshot, in the same statement as the read): those transactions may still
commit rows that sort before what the page would return. Once they end, the page moves
on; nothing sorts behind the cursor after it was given out, so nothing is skipped. The
order is that of the transactions' ids (their first write), not strictly of their
commits; within one transaction, by id. SQLite has one writer at a time: a counter
(ChangeClock) bumped by the triggers stands in for the transaction id and nothing needs
holding back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, models
from django.db.migrations.operations.base import Operation
from django.db.models import Q
from django.db.models.expressions import RawSQL

CURSOR_RE = re.compile(r"^(0|[0-9]{1,19}\.[0-9]{1,19})$")
START = (0, 0)


def change_field() -> models.BigIntegerField:
    """The column the triggers stamp (never written by the application)."""
    return models.BigIntegerField(
        default=0,
        editable=False,
        help_text="Stamped by a trigger: the writing transaction (socialops.changes).",
    )


def cursor_parse(text: str) -> tuple[int, int] | None:
    """(change_xid, id) from "<xid>.<id>", or "0" for the beginning; None if malformed."""
    if not CURSOR_RE.match(text or ""):
        return None
    if text == "0":
        return START
    xid, pk = (int(part) for part in text.split("."))
    return (xid, pk) if xid < 2**63 and pk < 2**63 else None


def cursor_format(position: tuple[int, int]) -> str:
    return "0" if position == START else f"{position[0]}.{position[1]}"


def _settled() -> RawSQL | None:
    """Below this, every transaction has ended (None: nothing to hold back)."""
    if connection.vendor == "postgresql":
        return RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [])
    return None


@dataclass
class Change:
    position: tuple[int, int]
    pk: int
    instance: models.Model | None  # None: deleted


def changes_page(
    queryset: models.QuerySet, *, resource: str, after: tuple[int, int], limit: int
) -> tuple[list[Change], tuple[int, int], bool]:
    """Up to `limit` changes after `after`: the rows of `queryset` (already narrowed to
    what the reader may see) and the resource's tombstones, merged in (change_xid, id)
    order. Returns them, the next cursor and whether more may follow."""
    # In here: every app's models import this module (change_field) while models load.
    from socialops.models import Tombstone

    xid, pk = after
    after_q = Q(change_xid__gt=xid) | Q(change_xid=xid, pk__gt=pk)
    settled = _settled()
    rows = queryset.filter(Q(change_xid__gte=xid) & after_q)
    gone = Tombstone.objects.filter(
        Q(change_xid__gte=xid) & (Q(change_xid__gt=xid) | Q(change_xid=xid, object_id__gt=pk)),
        resource=resource,
    )
    if settled is not None:
        rows = rows.filter(change_xid__lt=settled)
        gone = gone.filter(change_xid__lt=settled)
    rows = list(rows.order_by("change_xid", "pk")[: limit + 1])
    tombs = list(
        gone.order_by("change_xid", "object_id").values_list("change_xid", "object_id")[: limit + 1]
    )
    merged = [Change((r.change_xid, r.pk), r.pk, r) for r in rows]
    merged += [Change((x, i), i, None) for x, i in tombs]
    merged.sort(key=lambda change: change.position)
    more = len(merged) > limit
    merged = merged[:limit]
    return merged, (merged[-1].position if merged else after), more


# --- Triggers ------------------------------------------------------------------------

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION socialops_change_stamp() RETURNS trigger AS $$
BEGIN
    NEW.change_xid := txid_current();
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION socialops_change_tombstone() RETURNS trigger AS $$
BEGIN
    INSERT INTO socialops_tombstone (resource, object_id, change_xid, deleted_at)
    VALUES (TG_ARGV[0], OLD.id, txid_current(), now());
    RETURN OLD;
END $$ LANGUAGE plpgsql;
"""


def _pg_install(table: str, resource: str) -> list[str]:
    return [
        f'CREATE INDEX IF NOT EXISTS "{table}_change" ON "{table}" (change_xid, id)',
        f'DROP TRIGGER IF EXISTS "{table}_change_stamp" ON "{table}"',
        f'CREATE TRIGGER "{table}_change_stamp" BEFORE INSERT OR UPDATE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION socialops_change_stamp()",
        f'DROP TRIGGER IF EXISTS "{table}_change_tombstone" ON "{table}"',
        f'CREATE TRIGGER "{table}_change_tombstone" AFTER DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION socialops_change_tombstone('{resource}')",
    ]


def _sqlite_install(table: str, resource: str) -> list[str]:
    # The clock's row is put back if a flush emptied the table (tests on SQLite).
    tick = (
        "INSERT OR IGNORE INTO socialops_changeclock (id, value) VALUES (1, 0); "
        "UPDATE socialops_changeclock SET value = value + 1 WHERE id = 1;"
    )
    now = "(SELECT value FROM socialops_changeclock WHERE id = 1)"
    return [
        f'CREATE INDEX IF NOT EXISTS "{table}_change" ON "{table}" (change_xid, id)',
        f'CREATE TRIGGER IF NOT EXISTS "{table}_change_insert" AFTER INSERT ON "{table}" '
        f'BEGIN {tick} UPDATE "{table}" SET change_xid = {now} WHERE id = NEW.id; END',
        # The stamp's own UPDATE does not fire this again (recursive triggers are off).
        f'CREATE TRIGGER IF NOT EXISTS "{table}_change_update" AFTER UPDATE ON "{table}" '
        f'BEGIN {tick} UPDATE "{table}" SET change_xid = {now} WHERE id = NEW.id; END',
        f'CREATE TRIGGER IF NOT EXISTS "{table}_change_delete" AFTER DELETE ON "{table}" '
        f"BEGIN {tick} INSERT INTO socialops_tombstone (resource, object_id, change_xid, "
        f"deleted_at) VALUES ('{resource}', OLD.id, {now}, CURRENT_TIMESTAMP); END",
    ]


def _uninstall(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f'DROP TRIGGER IF EXISTS "{table}_change_stamp" ON "{table}"',
            f'DROP TRIGGER IF EXISTS "{table}_change_tombstone" ON "{table}"',
            f'DROP INDEX IF EXISTS "{table}_change"',
        ]
    return [
        f'DROP TRIGGER IF EXISTS "{table}_change_{kind}"' for kind in ("insert", "update", "delete")
    ] + [f'DROP INDEX IF EXISTS "{table}_change"']


class TrackChanges(Operation):
    """A migration operation: stamp `model_name`'s rows for the change cursor and leave
    tombstones named `resource` (its API prefix) when they are deleted. The model's
    `change_xid` field is added by an AddField before it; the triggers and the
    (change_xid, id) index are the database's, not the model state's."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, resource: str):
        self.model_name = model_name
        self.resource = resource

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(app_label, to_state)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            statements = [PG_FUNCTIONS, *_pg_install(table, self.resource)]
        else:
            statements = _sqlite_install(table, self.resource)
        for statement in statements:
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(app_label, from_state)
        for statement in _uninstall(schema_editor.connection.vendor, table):
            schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return f"Track changes of {self.model_name} as {self.resource}"

    def deconstruct(self):
        return (self.__class__.__name__, [self.model_name, self.resource], {})
