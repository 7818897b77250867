"""Bulk upserts by X id without building model instances: ingestion writes thousands of
rows a second, and Django's per-instance machinery cost more than the database did
(bench/ingest.py). The statement is INSERT … ON CONFLICT on both databases. On
PostgreSQL the rows arrive by COPY into a session-local staging table (emptied at each
commit) and are upserted from there in one statement: with batches of pages this is
twice as fast as a multi-row VALUES, whose client-side quoting dominated. SQLite,
in-process, takes an executemany."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model

# One encoder for every row: json.dumps with any non-default argument builds a new
# JSONEncoder per call, which costs about as much as encoding a post.
_encode_json = json.JSONEncoder(separators=(",", ":")).encode


def columns(model: type[Model], fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def adapt_datetime(value: datetime | None) -> Any:
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def adapt_json(value: Any) -> str:
    return _encode_json(value)


def upsert_sql(
    model: type[Model],
    fields: Sequence[str],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    unless_same: str | None = None,
    source: str | None = None,
) -> str:
    """INSERT … ON CONFLICT for rows in `fields` order: from the table `source` (all its
    columns named as `fields`), or from one row of placeholders."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    cols = ", ".join(quote(c) for c in columns(model, fields))
    target = ", ".join(quote(c) for c in columns(model, conflict))
    if update:
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in map(quote, columns(model, update)))
        action = f"DO UPDATE SET {sets}"
        if unless_same:
            column = quote(columns(model, [unless_same])[0])
            differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
            action += f" WHERE {table}.{column} {differs} EXCLUDED.{column}"
    else:
        action = "DO NOTHING"
    marks = ", ".join(["%s"] * len(fields))
    rows = f"SELECT {cols} FROM {source}" if source else f"VALUES ({marks})"
    return f"INSERT INTO {table} ({cols}) {rows} ON CONFLICT ({target}) {action}"


def staging(model: type[Model], fields: Sequence[str]) -> tuple[str, str]:
    """PostgreSQL: the name of a session-local staging table for rows of `model` in
    `fields` order, and the SQL that creates it when missing and empties it."""
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns(model, fields))
    # Named after its columns too: a connection that outlives a migration must not
    # reuse a staging table of the old shape.
    shape = zlib.crc32(cols.encode())
    name = quote(f"staging_{model._meta.db_table}_{shape:x}")
    table = quote(model._meta.db_table)
    # Empty unless an earlier call in this transaction used it (ON COMMIT DELETE ROWS);
    # DELETE on an empty table is near free, where TRUNCATE swaps its files.
    prepare = (
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
        f"SELECT {cols} FROM {table} WITH NO DATA; DELETE FROM {name}"
    )
    return name, prepare


COPY_CHUNK = 64 * 1024  # characters handed to the database at a time


def copy_into(cursor, table: str, lines: Iterable[str]) -> None:
    """COPY rows in COPY's text format (one line each, see copy_line) into `table`
    (PostgreSQL). The lines are made as the database asks for them, so it parses one
    chunk while the next is being written."""
    with cursor.db.wrap_database_errors:
        cursor.cursor.copy_expert(f"COPY {table} FROM STDIN", _Stream(lines), size=COPY_CHUNK)


class _Stream:
    """A file-like read() over lines made on demand: what psycopg2's COPY reads from."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)

    def read(self, size: int = -1) -> str:
        chunk, length = [], 0
        for line in self._lines:
            chunk.append(line)
            length += len(line)
            if length >= size > 0:
                break
        return "".join(chunk)


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
    options = {"conflict": conflict, "update": update, "unless_same": unless_same}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            name, prepare = staging(model, fields)
            cursor.execute(prepare)
            copy_into(cursor, name, map(copy_line, rows))
            cursor.execute(upsert_sql(model, fields, source=name, **options))
        else:
            cursor.executemany(upsert_sql(model, fields, **options), rows)


NULL = "\\N"  # NULL in COPY's text format
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search


def copy_escape(value: str) -> str:
    """A string as a value in COPY's text format."""
    return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value


def _copy_value(value: Any) -> str:
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value
    if value is None:
        return NULL
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime:
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def copy_line(row: Sequence[Any]) -> str:
    """A row in COPY's text format: tab-separated, \\N for NULL, backslash escapes."""
    return "\t".join(map(_copy_value, row)) + "\n"
