"""CSV files that French spreadsheet users open with a double click: UTF-8 with a byte order mark
(or Excel reads the accents as Latin-1), `;` between cells (a comma is the decimal separator),
amounts with a decimal comma, dates as DD/MM/YYYY. Cells that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return) get a leading apostrophe, so a
patient named "=HYPERLINK(…)" stays text (OWASP "CSV injection"). Streamed: rows are written as
they are read, so a year of a large practice never sits in memory."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Iterable, Iterator
from urllib.parse import quote

from flask import Response, stream_with_context

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_NUMBER = re.compile(r"^-?\d+(,\d+)?$")  # what `amount_cell` writes: a number, never a formula
FLUSH_EVERY = 500


def amount_cell(cents: int) -> str:
    """Cents as a spreadsheet number in French: 123456 → "1234,56", -500 → "-5,00"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def date_cell(day: date | None) -> str:
    """A date as French spreadsheets read it: 05/03/2026."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day else ""


def safe_cell(value) -> str:
    """A cell's text, defused when a spreadsheet would read it as a formula. Plain numbers (a
    negative amount) are left alone: "-5,00" is a number to Excel, not a formula."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    if text and text[0] in _FORMULA_FIRST and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The file's text in pieces: the BOM and header, then the rows a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write(BOM)
    writer.writerow(map(safe_cell, header))
    for n, row in enumerate(rows, start=1):
        writer.writerow(map(safe_cell, row))
        if n % FLUSH_EVERY == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A streamed CSV download named `filename` (the request's context stays open while it streams,
    so `rows` may read from the database as it goes). Never cached: it holds patients' data."""
    response = Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = "no-store"
    return response
