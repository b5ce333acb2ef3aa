"""`audible-tracker match`: preview matching decisions offline; writes nothing.

    audible-tracker match --library LIBRARY --books BOOKS.csv [--json]

LIBRARY is an audible-cli `library export` file in any of its formats (TSV, its
default, CSV or JSON; recognised from the content). BOOKS.csv has a header with
at least `id,title` (`author`, `isbn` optional). With --json the decisions are
printed as a JSON array in library order, otherwise as a table. Problems with
the input files go to stderr as one line and exit with code 2; single
unreadable library records are reported as warnings and skipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from domain.export_formats import LibraryExport, decode_export
from domain.library_items import LibraryShapeError, parse_library
from domain.reports import counted

if TYPE_CHECKING:
    from domain.matching import MatchDecision, TrackerBook

EXIT_OK, EXIT_INPUT_ERROR = 0, 2


class InputError(Exception):
    """An input file that cannot be used; the message names the file, record and field."""


def add_match_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "match",
        help="preview how library items would be matched to tracker books (writes nothing)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "--library", required=True, type=Path, help="audible-cli library export (TSV, CSV or JSON)"
    )
    parser.add_argument(
        "--books", required=True, type=Path, help="tracker books CSV with id,title[,author,isbn]"
    )
    parser.add_argument("--json", action="store_true", help="print the decisions as a JSON array")
    parser.set_defaults(handler=run_match)
    return parser


def _without_untitled(export: LibraryExport) -> tuple[LibraryExport, list[str]]:
    """The export less its records that have no title at all, and a warning for each.

    A record without a title is a malformed export, not an untitled book: it is
    rejected with the field named. A title that is present but empty is matched
    (as unmatched). TSV and CSV always have the column (their header is checked).
    """
    records = export.records
    if not isinstance(records, list):
        return export, []
    untitled = {i for i, r in enumerate(records) if isinstance(r, dict) and "title" not in r and "asin" in r}
    if not untitled:
        return export, []
    warnings = [
        f"warning: library item #{i} (asin {str(records[i].get('asin', ''))[:20]!r}): "
        "field 'title' is missing; skipped"
        for i in sorted(untitled)
    ]
    kept = [i for i in range(len(records)) if i not in untitled]
    lines = tuple(export.lines[i] for i in kept) if export.lines else None
    return replace(export, records=[records[i] for i in kept], lines=lines), warnings


def load_library_file(path: Path, warn: TextIO):
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read library file {path}: {error.strerror or error}") from None
    try:
        export, warnings = _without_untitled(decode_export(raw, f"library file {path}"))
        parsed = parse_library(export)
    except LibraryShapeError as error:
        message = str(error)
        raise InputError(
            message if message.startswith("library file") else f"library file {path}: {message}"
        ) from None
    for warning in warnings:
        print(warning, file=warn)
    for rejected in parsed.rejected:
        print(f"warning: {rejected}; skipped", file=warn)
    return parsed.items


BOOK_COLUMNS = ("id", "title", "author", "isbn")


def _book_rows(reader, path: Path):
    """(first line, row) of each record; a quote left open is named by the line it opens on."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise InputError(
                    f"books file {path}, line {line}: a quoted field opened on this line is never "
                    "closed (unbalanced '\"')"
                ) from None
            raise InputError(f"books file {path}, line {line}: not a readable CSV row ({error})") from None
        spans = reader.line_num > line
        if spans and any("\n" in (row.get(name) or "") for name in BOOK_COLUMNS):
            raise InputError(
                f"books file {path}, line {line}: the row runs on to line {reader.line_num}; "
                f"a quote opened on line {line} is probably not closed"
            )
        if None in row:
            raise InputError(
                f"books file {path}, line {line}: {len(reader.fieldnames) + len(row[None])} fields "
                f"where the header has {len(reader.fieldnames)}"
            )
        yield line, row


def _book(row: dict, line: int, path: Path, seen: set[int]) -> TrackerBook:
    # Imported here: the matcher's numpy and rapidfuzz are for the match command only.
    from domain.matching import TrackerBook

    raw_id = (row.get("id") or "").strip()
    try:
        book_id = int(raw_id)
    except ValueError:
        raise InputError(
            f"books file {path}, row at line {line}: field 'id' must be an integer, got {raw_id[:40]!r}"
        ) from None
    if book_id in seen:
        raise InputError(f"books file {path}, row at line {line}: field 'id' {book_id} appears twice")
    seen.add(book_id)
    title = (row.get("title") or "").strip()
    if not title:
        raise InputError(f"books file {path}, row at line {line}: field 'title' is empty")
    return TrackerBook(
        id=book_id,
        title=title,
        author=(row.get("author") or "").strip() or None,
        isbn=(row.get("isbn") or "").strip() or None,
    )


def _book_header(reader: csv.DictReader, path: Path) -> list[str]:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [name for name in ("id", "title") if name not in header]
    if missing:
        raise InputError(
            f"books file {path}: the header must have columns id and title "
            f"(missing {', '.join(missing)}; found {', '.join(header) or 'no header'})"
        )
    return header


def load_books_file(path: Path) -> list[TrackerBook]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read books file {path}: {error.strerror or error}") from None
    books: list[TrackerBook] = []
    seen: set[int] = set()
    with handle:
        try:
            reader = csv.DictReader(handle, strict=True)
            reader.fieldnames = _book_header(reader, path)
            for line, row in _book_rows(reader, path):
                if any((value or "").strip() for key, value in row.items() if key is not None):
                    books.append(_book(row, line, path, seen))
        except csv.Error as error:
            raise InputError(f"books file {path}, header: not a readable CSV row ({error})") from None
        except UnicodeDecodeError:
            raise InputError(f"books file {path} is not UTF-8 text") from None
    return books


def _book_cell(decision: MatchDecision, books: dict[int, TrackerBook]) -> str:
    """The linked book, or the best candidate marked with '?'; '-' when there is none."""
    linked = decision.decision == "linked"
    best = decision.candidates[0].book_id if decision.candidates else None
    book_id = decision.book_id if linked else best
    if book_id is None:
        return "-"
    title = books[book_id].title if book_id in books else "?"
    title = title if len(title) <= 40 else title[:39] + "…"
    return f"{book_id} {title}" + ("" if linked else " ?")


def format_table(decisions: Sequence[MatchDecision], books: dict[int, TrackerBook]) -> str:
    """A plain aligned table: asin, decision, book, method, confidence, reason."""
    rows = [("ASIN", "DECISION", "BOOK", "METHOD", "CONF", "REASON")]
    for d in decisions:
        rows.append(
            (d.asin, d.decision, _book_cell(d, books), d.method or "-", f"{d.confidence:.3f}", d.reason)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:5])) + "  " + r[5] for r in rows]
    counts = {k: sum(1 for d in decisions if d.decision == k) for k in ("linked", "conflict", "unmatched")}
    lines.append(
        f"\n{counted(len(decisions), 'item')}: {counts['linked']} linked, "
        f"{counted(counts['conflict'], 'conflict')}, {counts['unmatched']} unmatched "
        "(preview only: nothing was written)"
    )
    return "\n".join(lines)


def run_match(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        items = load_library_file(Path(args.library), err)
        books = load_books_file(Path(args.books))
    except InputError as error:
        print(f"error: {error}", file=err)
        return EXIT_INPUT_ERROR
    from domain.matching import BookIndex

    decisions = BookIndex(books).match_all(items)
    if getattr(args, "json", False):
        json.dump([d.to_json() for d in decisions], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(format_table(decisions, {b.id: b for b in books}) + "\n")
    return EXIT_OK
