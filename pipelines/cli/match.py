"""`audible-tracker match`: preview matching decisions offline; writes nothing.

    audible-tracker match --library LIB.json --books BOOKS.csv [--json]

LIB.json is an audible-cli `library export --format json` file; BOOKS.csv has a
header with at least `id,title` (`author`, `isbn` optional). With --json the
decisions are printed as a JSON array in library order, otherwise as a table.
Problems with the input files go to stderr as one line and exit with code 2;
single unreadable library records are reported as warnings and skipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from domain.library_items import LibraryShapeError, parse_library

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
    parser.add_argument("--library", required=True, type=Path, help="audible-cli library export (JSON)")
    parser.add_argument(
        "--books", required=True, type=Path, help="tracker books CSV with id,title[,author,isbn]"
    )
    parser.add_argument("--json", action="store_true", help="print the decisions as a JSON array")
    parser.set_defaults(handler=run_match)
    return parser


def load_library_file(path: Path, warn: TextIO):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read library file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InputError(f"library file {path} is not UTF-8 text") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"library file {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    # A record without a title key is a malformed export, not an untitled book: reject it
    # with the field named. A title that is present but empty is matched (as unmatched).
    missing_title: set[int] = set()
    if isinstance(payload, list):
        for index, raw in enumerate(payload):
            if isinstance(raw, dict) and "title" not in raw and "asin" in raw:
                missing_title.add(index)
    try:
        parsed = parse_library(
            [r for i, r in enumerate(payload) if i not in missing_title] if missing_title else payload
        )
    except LibraryShapeError as error:
        raise InputError(f"library file {path}: {error}") from None
    for index in sorted(missing_title):
        asin = str(payload[index].get("asin", ""))[:20]
        print(f"warning: library item #{index} (asin {asin!r}): field 'title' is missing; skipped", file=warn)
    for rejected in parsed.rejected:
        print(f"warning: {rejected}; skipped", file=warn)
    return parsed.items


def load_books_file(path: Path) -> list[TrackerBook]:
    # Imported here: the matcher's numpy and rapidfuzz are for this command only.
    from domain.matching import TrackerBook

    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read books file {path}: {error.strerror or error}") from None
    books: list[TrackerBook] = []
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            missing = [name for name in ("id", "title") if name not in header]
            if missing:
                raise InputError(
                    f"books file {path}: the header must have columns id and title "
                    f"(missing {', '.join(missing)}; found {', '.join(header) or 'no header'})"
                )
            reader.fieldnames = header
            seen: set[int] = set()
            for row in reader:
                line = reader.line_num
                raw_id = (row.get("id") or "").strip()
                try:
                    book_id = int(raw_id)
                except ValueError:
                    raise InputError(
                        f"books file {path}, row at line {line}: field 'id' must be an integer, got {raw_id[:40]!r}"
                    ) from None
                if book_id in seen:
                    raise InputError(
                        f"books file {path}, row at line {line}: field 'id' {book_id} appears twice"
                    )
                seen.add(book_id)
                title = (row.get("title") or "").strip()
                if not title:
                    raise InputError(f"books file {path}, row at line {line}: field 'title' is empty")
                books.append(
                    TrackerBook(
                        id=book_id,
                        title=title,
                        author=(row.get("author") or "").strip() or None,
                        isbn=(row.get("isbn") or "").strip() or None,
                    )
                )
        except csv.Error as error:
            raise InputError(f"books file {path}: not a readable CSV ({error})") from None
        except UnicodeDecodeError:
            raise InputError(f"books file {path} is not UTF-8 text") from None
    return books


def format_table(decisions: Sequence[MatchDecision], books: dict[int, TrackerBook]) -> str:
    """A plain aligned table: asin, decision, book, method, confidence, reason."""
    rows = [("ASIN", "DECISION", "BOOK", "METHOD", "CONF", "REASON")]
    for d in decisions:
        book_id = d.book_id if d.decision == "linked" else (d.candidates[0].book_id if d.candidates else None)
        if book_id is None:
            book = "-"
        else:
            title = books[book_id].title if book_id in books else "?"
            title = title if len(title) <= 40 else title[:39] + "…"
            book = f"{book_id} {title}" + ("" if d.decision == "linked" else " ?")
        rows.append((d.asin, d.decision, book, d.method or "-", f"{d.confidence:.3f}", d.reason))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:5])) + "  " + r[5] for r in rows]
    counts = {k: sum(1 for d in decisions if d.decision == k) for k in ("linked", "conflict", "unmatched")}
    lines.append(
        f"\n{len(decisions)} items: {counts['linked']} linked, {counts['conflict']} conflicts, "
        f"{counts['unmatched']} unmatched (preview only: nothing was written)"
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
