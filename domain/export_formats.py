"""audible-cli `library export` files in each of its formats, recognised from their content.

audible-cli writes TSV by default, CSV with ``--format csv`` and JSON with
``--format json``. The tabular formats come from ``csv.DictWriter`` (dialects
``excel-tab`` and ``excel``): a header row of column names, ``True``/``False``
for booleans, numbers as Python prints them, and an empty cell for a value
Audible did not give. JSON is a list of objects from which null values are
left out. All three become the same raw records, so ``parse_library`` reads
them alike. Pure Python: the caller reads the file.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from domain.library_items import LibraryShapeError

# The columns audible-cli writes, in its order.
EXPORT_COLUMNS = (
    "asin",
    "title",
    "subtitle",
    "extended_product_description",
    "authors",
    "narrators",
    "series_title",
    "series_sequence",
    "genres",
    "runtime_length_min",
    "is_finished",
    "percent_complete",
    "rating",
    "num_ratings",
    "date_added",
    "release_date",
    "cover_url",
    "purchase_date",
)
FORMATS = ("tsv", "csv", "json")
_DIALECTS = {"tsv": "excel-tab", "csv": "excel"}
# Longest cell the reader accepts: far above any real value (descriptions are a few kB),
# low enough that a file that is not an export cannot make one cell of everything.
_FIELD_SIZE_LIMIT = 1_000_000


class ExportFormatError(LibraryShapeError):
    """An export that cannot be read as a whole; the message names the file and the line."""


@dataclass(frozen=True)
class LibraryExport:
    """The raw records of one export file, in file order.

    ``records`` is the decoded JSON value for JSON (checked by ``parse_library``), a
    list of column → text-or-None dicts for TSV and CSV. ``lines`` holds the line
    each tabular record starts on, so a bad record is named by its line.
    """

    format: str
    records: Any
    lines: tuple[int, ...] | None = None
    name: str = "library file"


def detect_format(text: str) -> str | None:
    """'json', 'tsv' or 'csv' from what the text looks like; None when it is none of them."""
    start = text.lstrip("\ufeff \t\r\n")
    if not start:
        return None
    if start[0] in '[{"':
        return "json"
    header = start.split("\n", 1)[0]
    tabs, commas = header.count("\t"), header.count(",")
    if not tabs and not commas:
        return None
    return "tsv" if tabs >= commas else "csv"


def decode_export(raw: bytes, name: str = "library file") -> LibraryExport:
    """An export file's bytes decoded (UTF-8, as audible-cli writes) and parsed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ExportFormatError(
            f"{name}, line {line}: not UTF-8 text (byte {raw[error.start]:#04x}); "
            "audible-cli writes UTF-8, so the file was changed or is not an export"
        ) from None
    return parse_export(text, name)


def parse_export(text: str, name: str = "library file") -> LibraryExport:
    """Decode an export of any format; ExportFormatError names the file, line and problem."""
    if not text.strip("\ufeff \t\r\n"):
        raise ExportFormatError(f"{name} is empty")
    found = detect_format(text)
    if found == "json":
        return LibraryExport("json", _parse_json(text, name), None, name)
    if found in _DIALECTS:
        records, lines = _parse_table(text, found, name)
        return LibraryExport(found, records, lines, name)
    first = text.lstrip("\ufeff \t\r\n").split("\n", 1)[0][:60]
    raise ExportFormatError(
        f"{name} is not an audible-cli library export: expected JSON, or TSV/CSV with a header "
        f"row naming asin, title…; line 1 starts {first!r}"
    )


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise ExportFormatError(
            f"{name} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None


def _header(row: list[str], name: str, fmt: str) -> list[str]:
    columns = [cell.strip().lstrip("\ufeff").lower() for cell in row]
    missing = [column for column in ("asin", "title") if column not in columns]
    if missing:
        shown = ", ".join(c for c in columns[:8] if c) or "nothing"
        raise ExportFormatError(
            f"{name}, line 1: the {fmt.upper()} header has no {' or '.join(repr(m) for m in missing)} "
            f"column (found {shown}); is this an `audible library export` file?"
        )
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise ExportFormatError(f"{name}, line 1: column {repeated[0]!r} appears twice in the header")
    return columns


def _parse_table(text: str, fmt: str, name: str) -> tuple[list[dict[str, str | None]], tuple[int, ...]]:
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_SIZE_LIMIT))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), dialect=_DIALECTS[fmt], strict=True)
    rows = _rows_with_lines(reader, name)
    _, header = next(rows, (1, []))
    columns = _header(header, name, fmt)
    records: list[dict[str, str | None]] = []
    lines: list[int] = []
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            spans = reader.line_num > line
            raise ExportFormatError(
                f"{name}, line {line}: {len(row)} fields where the header has {len(columns)}"
                + (
                    f"; the record runs on to line {reader.line_num}, so a quote opened on line {line} "
                    "is probably not closed"
                    if spans
                    else ""
                )
            )
        # An empty cell is how audible-cli writes a value Audible did not give.
        records.append(
            {column: (cell if cell != "" else None) for column, cell in zip(columns, row, strict=True)}
        )
        lines.append(line)
    return records, tuple(lines)


def _rows_with_lines(reader, name: str):
    """(first line of the record, its cells) for every record, with csv errors named by line."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error) or "EOF" in str(error):
                raise ExportFormatError(
                    f"{name}, line {line}: a quoted field opened on this line is never closed "
                    "(unbalanced '\"')"
                ) from None
            raise ExportFormatError(f"{name}, line {line}: {error}") from None
        yield line, row
