"""A post's and a user's database columns, derived from the one place they are declared:
the fields of x.TweetRecord and x.UserRecord, in order, with what their metadata says
(stored or not, rewritten when X sends them again, under which column). From them:

1. the column lists the upserts name (TWEET_FIELDS, TWEET_UPDATE_FIELDS, …) and the
   metrics (METRICS, PRIVATE_METRICS) the API lists;
2. tweet_row and user_row, a record's values (x.tweet_values, x.user_values: the fields
   in order) as a row of those columns, for executemany;
3. tweet_line, tweet_row in COPY's text format (PostgreSQL).

The three functions are written out as code once, at import, one expression a column:
ingestion makes a row for every post and user X sends, and formatting value by value
(upsert.copy_line) cost more than the database's share of a post (bench/ingest.py).
Their source is kept on them as `source`, for a reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, fields
from typing import Any

from listening import client as x
from listening.upsert import NULL, adapt_json, copy_escape


@dataclass(frozen=True)
class Column:
    name: str  # the model's field
    value: str  # the record's field it is written from, or NOW: the write's time
    kind: str  # the record field's type, as annotated
    updated: bool  # rewritten on conflict
    none_as: Any = None  # what is stored for None


NOW = ""


def _columns(record: type, *, all_updated: bool, stamps: list[Column]) -> list[Column]:
    def column(f: Field) -> Column:
        meta = f.metadata
        updated = f.name != "id" and (all_updated or meta.get("updated", False))
        return Column(meta.get("column", f.name), f.name, str(f.type), updated, meta.get("none_as"))

    return [column(f) for f in fields(record) if f.metadata.get("stored", True)] + stamps


TWEET_COLUMNS = _columns(
    x.TweetRecord,
    all_updated=False,
    stamps=[
        Column("first_seen_at", NOW, "datetime", updated=False),
        Column("updated_at", NOW, "datetime", updated=True),
    ],
)
USER_COLUMNS = _columns(
    x.UserRecord,
    all_updated=True,  # a user's profile changes as a whole
    stamps=[Column("fetched_at", NOW, "datetime", updated=True)],
)

TWEET_FIELDS = [c.name for c in TWEET_COLUMNS]
TWEET_UPDATE_FIELDS = [c.name for c in TWEET_COLUMNS if c.updated]
USER_FIELDS = [c.name for c in USER_COLUMNS]
USER_UPDATE_FIELDS = [c.name for c in USER_COLUMNS if c.updated]
METRICS = [f.name for f in fields(x.TweetRecord) if f.metadata.get("metric")]
PRIVATE_METRICS = {f.name for f in fields(x.TweetRecord) if f.metadata.get("private")}
# Where a field sits in a record's values (x.tweet_values, x.user_values).
TWEET_INDEX = {f.name: i for i, f in enumerate(fields(x.TweetRecord))}
USER_INDEX = {f.name: i for i, f in enumerate(fields(x.UserRecord))}


def _row_value(c: Column, *, json: str) -> str:
    """The expression for a column's value in a row (SQLite's adapter takes it from there);
    `json`: the expression for the raw JSON."""
    v = c.value
    if v == NOW:
        return "now"
    if c.kind == "dict":
        return json
    if c.kind == "datetime | None":
        return f"None if {v} is None else adapt({v})"
    if c.none_as is not None:
        return f"{c.none_as!r} if {v} is None else {v}"
    return v


def _copy_value(c: Column) -> str:
    """The f-string part for a column's value in COPY's text format (see upsert.copy_line)."""
    v = c.value
    if v == NOW:
        return "{now}"
    if c.kind == "dict":
        return f"{{copy_escape(adapt_json({v}))}}"
    if c.kind == "datetime | None":
        return f"{{NULL if {v} is None else {v}.isoformat()}}"
    if c.kind == "str":
        return f"{{copy_escape({v})}}"
    if c.kind == "bool":
        return f"{{'t' if {v} else 'f'}}"
    if c.kind == "int":
        return f"{{{v}}}"
    if c.kind == "int | None":
        absent = "NULL" if c.none_as is None else repr(c.none_as)
        return f"{{{absent} if {v} is None else {v}}}"
    raise TypeError(f"no COPY format for {c.name}: {c.kind}")


def _compile(name: str, signature: str, record: type, body: str) -> Callable[..., Any]:
    names = ", ".join(f.name for f in fields(record))
    source = f"def {name}({signature}):\n    ({names},) = v\n    return {body}\n"
    namespace = {"NULL": NULL, "adapt_json": adapt_json, "copy_escape": copy_escape}
    exec(compile(source, f"<listening.columns.{name}>", "exec"), namespace)
    function = namespace[name]
    function.source = source
    return function


tweet_row: Callable[[tuple, Any, Callable], tuple] = _compile(
    "tweet_row",
    "v, now, adapt",
    x.TweetRecord,
    "(" + ", ".join(_row_value(c, json="adapt_json(raw)") for c in TWEET_COLUMNS) + ",)",
)
tweet_row.__doc__ = "A post's values (x.tweet_values) as a row of TWEET_FIELDS."

user_row: Callable[[tuple, str, Any, Callable], tuple] = _compile(
    "user_row",
    "v, raw_json, now, adapt",
    x.UserRecord,
    "(" + ", ".join(_row_value(c, json="raw_json") for c in USER_COLUMNS) + ",)",
)
user_row.__doc__ = "A user's values (x.user_values) as a row of USER_FIELDS; `raw_json`: raw."

tweet_line: Callable[[tuple, str], str] = _compile(
    "tweet_line",
    "v, now",
    x.TweetRecord,
    'f"' + "\\t".join(_copy_value(c) for c in TWEET_COLUMNS) + '\\n"',
)
tweet_line.__doc__ = "tweet_row in COPY's text format; `now` formatted already."
