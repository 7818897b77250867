"""CSV exports that a spreadsheet opens as data, never as formulas.

Every CSV the product writes goes through here. Text from outside (a post on X, an
author's name, anything a user typed) may start like a formula — `=HYPERLINK(…)`,
`+cmd|…`, `@SUM(…)` — and Excel, LibreOffice and Google Sheets would run it when the
file is opened. As OWASP recommends, such a cell gets a leading apostrophe: the
spreadsheet shows the text as typed (the apostrophe only marks it as text), and a
program reading the file sees the apostrophe and the text."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

# OWASP's list (=, +, -, @, tab, carriage return), NUL (OWASP ASVS 1.2.10), and the
# full-width forms of the four signs, which some spreadsheets' locales read as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0", "＝", "＋", "－", "＠")


def csv_cell(value: Any) -> Any:
    """A value as a safe cell: None is empty; numbers stay numbers (-5 is a number, not
    a formula, and it is ours, not text from outside); any other value is text, with an
    apostrophe in front when it starts like a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """csv.writer whose every cell goes through csv_cell."""

    def __init__(self, file: Any, **options: Any) -> None:
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file that hands back what is written to it: one CSV line at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = CsvWriter(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_response(
    *, filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A CSV download, streamed row by row (an export can hold every post)."""
    response = StreamingHttpResponse(
        csv_lines(header=header, rows=rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
