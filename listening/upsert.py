"""Bulk upserts by X id without building model instances: ingestion writes thousands of
rows a second, and Django's per-instance machinery cost more than the database did
(bench/ingest.py). The statement is INSERT … ON CONFLICT on both databases. On
PostgreSQL the rows arrive by COPY into a session-local staging table (emptied at each
commit) and are upserted from there in one statement: with batches of pages this is
twice as fast as a multi-row VALUES, whose client-side quoting dominated. SQLite,
in-process, takes an executemany."""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def adapt_datetime(value: datetime | None) -> Any:
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def adapt_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def upsert(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    unless_same: str | None = None,
) -> None:
    """INSERT rows (tuples in `fields` order); on a conflict on `conflict`, update the
    `update` fields — or do nothing when there are none. With `unless_same` (a field),
    a row whose value there is unchanged is left alone: X sends the same users and posts
    again and again, and rewriting identical rows only makes dead tuples. Rows must be
    unique on `conflict` (PostgreSQL refuses to update one row twice in a statement)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns(model, fields))
    target = ", ".join(connection.ops.quote_name(c) for c in columns(model, conflict))
    if update:
        sets = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for c in (connection.ops.quote_name(c) for c in columns(model, update))
        )
        action = f"DO UPDATE SET {sets}"
        if unless_same:
            column = connection.ops.quote_name(columns(model, [unless_same])[0])
            differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
            action += f" WHERE {table}.{column} {differs} EXCLUDED.{column}"
    else:
        action = "DO NOTHING"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Named after its columns too: a connection that outlives a migration must
            # not reuse a staging table of the old shape.
            shape = zlib.crc32(cols.encode())
            staging = connection.ops.quote_name(f"staging_{model._meta.db_table}_{shape:x}")
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
                f"SELECT {cols} FROM {table} WITH NO DATA"
            )
            # Empty unless an earlier call in this transaction used it; DELETE on an empty
            # table is near free, where TRUNCATE swaps its files.
            cursor.execute(f"DELETE FROM {staging}")
            cursor.cursor.copy_expert(f"COPY {staging} ({cols}) FROM STDIN", _copy_text(rows))
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} "
                f"ON CONFLICT ({target}) {action}"
            )
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({target}) {action}",
                rows,
            )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search


def _copy_value(value: Any) -> str:
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime:
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _copy_text(rows: Sequence[Sequence[Any]]) -> io.StringIO:
    """Rows in COPY's text format: tab-separated, \\N for NULL, backslash escapes."""
    return io.StringIO("".join("\t".join(map(_copy_value, row)) + "\n" for row in rows))
