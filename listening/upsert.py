"""Bulk upserts by X id without building model instances: ingestion writes thousands of
rows a second, and Django's per-instance machinery cost more than the database did
(bench/ingest.py). The statement is INSERT … ON CONFLICT on both databases: PostgreSQL
gets all rows in one multi-row VALUES, SQLite (in-process) an executemany. (COPY into a
staging table measured no faster for pages of 100 rows, so the simpler form stays.)"""

from __future__ import annotations

import json
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
            from psycopg2.extras import execute_values

            execute_values(
                cursor.cursor,
                f"INSERT INTO {table} ({cols}) VALUES %s ON CONFLICT ({target}) {action}",
                rows,
                page_size=max(len(rows), 1),
            )
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({target}) {action}",
                rows,
            )
