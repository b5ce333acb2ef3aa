"""The library item: one audiobook as the sync sees it, whatever the source.

Both sources (an audible-cli ``library export`` file in any of its formats,
see ``domain.export_formats``, and the Audible API) are turned into this shape,
so everything downstream has one code path. Pure Python: no Dagster or
database import.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# Longest text we keep for one field. Audible titles are short; a 10 kB title is
# garbage or an attack, and storing it would only bloat conflicts and logs.
MAX_TEXT_LENGTH = 1000
ASIN_PATTERN = re.compile(r"^[A-Z0-9]{10}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class LibraryItemError(ValueError):
    """A library record that cannot be used. Names the record and the field."""

    def __init__(self, record: str, field_name: str, problem: str):
        self.record = record
        self.field_name = field_name
        self.problem = problem
        super().__init__(f"library item {record}: field '{field_name}' {problem}")


class LibraryShapeError(ValueError):
    """The whole library payload is not what an export or the API returns."""


@dataclass(frozen=True)
class LibraryItem:
    asin: str
    title: str
    subtitle: str | None = None
    authors: str | None = None
    narrators: str | None = None
    series_title: str | None = None
    series_sequence: str | None = None
    is_finished: bool = False
    percent_complete: float = 0.0
    runtime_length_min: int | None = None
    release_date: str | None = None
    date_added: str | None = None
    isbn: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The item as an export record (the audible-cli export's keys), nulls kept."""
        data = asdict(self)
        data.pop("extra")
        return data


def _already_clean(text: str) -> bool:
    """Whether cleaning would leave ``text`` as it is (most titles): printable text has no control
    character and no whitespace but the plain space, so only NFC and the spaces remain to check."""
    return (
        text.isprintable()
        and "  " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
        and unicodedata.is_normalized("NFC", text)
    )


def _clean_text(value: Any, record: str, field_name: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise LibraryItemError(record, field_name, "is missing")
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value if v is not None)
    if not isinstance(value, (str, int, float)):
        raise LibraryItemError(record, field_name, f"must be text, got {type(value).__name__}")
    if type(value) is str and _already_clean(value):
        text = value
    else:
        text = unicodedata.normalize("NFC", str(value))
        text = _CONTROL_CHARS.sub(" ", text)
        text = " ".join(text.split())
    if not text:
        if required:
            raise LibraryItemError(record, field_name, "is empty")
        return None
    if len(text) > MAX_TEXT_LENGTH:
        raise LibraryItemError(
            record, field_name, f"is {len(text)} characters long (at most {MAX_TEXT_LENGTH})"
        )
    return text


def _parse_bool(value: Any, record: str, field_name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.strip().lower() in {"true", "1", "yes"}
    raise LibraryItemError(record, field_name, f"must be true or false, got {value!r:.40}")


def _parse_number(value: Any, record: str, field_name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise LibraryItemError(record, field_name, f"must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LibraryItemError(record, field_name, f"must be a number, got {value!r:.40}") from None
    if math.isnan(number) or math.isinf(number):
        raise LibraryItemError(record, field_name, f"must be a finite number, got {value!r}")
    return number


def record_label(raw: Any, index: int, line: int | None = None) -> str:
    """How to name a record in an error: its line in a TSV/CSV file or its position, and its ASIN."""
    where = f"on line {line}" if line is not None else f"#{index}"
    if isinstance(raw, Mapping):
        asin = raw.get("asin")
        if isinstance(asin, str) and asin.strip():
            return f"{where} (asin {asin.strip()[:20]!r})"
    return where


def _parse_asin(value: Any, record: str) -> str:
    asin = (_clean_text(value, record, "asin", required=True) or "").upper()
    if not ASIN_PATTERN.match(asin):
        raise LibraryItemError(record, "asin", f"must be 10 letters or digits, got {asin[:20]!r}")
    return asin


def _parse_percent(value: Any, record: str) -> float:
    percent = _parse_number(value, record, "percent_complete")
    if percent is None:
        return 0.0
    if not 0.0 <= percent <= 100.0:
        raise LibraryItemError(record, "percent_complete", f"must be between 0 and 100, got {percent:g}")
    return percent


def _parse_runtime(value: Any, record: str) -> float | None:
    runtime = _parse_number(value, record, "runtime_length_min")
    if runtime is not None and not 0 <= runtime <= 100_000:
        raise LibraryItemError(
            record, "runtime_length_min", f"must be between 0 and 100000 minutes, got {runtime:g}"
        )
    return runtime


def parse_library_item(raw: Any, index: int = 0, line: int | None = None) -> LibraryItem:
    """Validate one record of the export shape; raise LibraryItemError naming the field."""
    record = record_label(raw, index, line)
    if not isinstance(raw, Mapping):
        raise LibraryItemError(record, "(record)", f"must be an object, got {type(raw).__name__}")
    asin = _parse_asin(raw.get("asin"), record)
    # An empty title is kept: the matcher reports such an item as unmatched
    # rather than the whole library failing on it.
    title = _clean_text(raw.get("title"), record, "title") or ""
    percent = _parse_percent(raw.get("percent_complete"), record)
    runtime = _parse_runtime(raw.get("runtime_length_min"), record)
    sequence = raw.get("series_sequence")
    if isinstance(sequence, float) and sequence.is_integer():
        sequence = int(sequence)
    known = {f for f in LibraryItem.__dataclass_fields__ if f != "extra"}
    return LibraryItem(
        asin=asin,
        title=title,
        subtitle=_clean_text(raw.get("subtitle"), record, "subtitle"),
        authors=_clean_text(raw.get("authors"), record, "authors"),
        narrators=_clean_text(raw.get("narrators"), record, "narrators"),
        series_title=_clean_text(raw.get("series_title"), record, "series_title"),
        series_sequence=_clean_text(sequence, record, "series_sequence"),
        is_finished=_parse_bool(raw.get("is_finished"), record, "is_finished"),
        percent_complete=round(percent, 2),
        runtime_length_min=None if runtime is None else int(round(runtime)),
        release_date=_clean_text(raw.get("release_date"), record, "release_date"),
        date_added=_clean_text(raw.get("date_added"), record, "date_added"),
        isbn=_clean_text(raw.get("isbn"), record, "isbn"),
        extra={k: v for k, v in raw.items() if k not in known and isinstance(k, str)},
    )


@dataclass(frozen=True)
class ParsedLibrary:
    items: tuple[LibraryItem, ...]
    rejected: tuple[LibraryItemError, ...]


def parse_library(payload: Any) -> ParsedLibrary:
    """Parse a whole export payload: bad records are rejected one by one, with reasons.

    ``payload`` is the decoded JSON of an export or of the API, or a
    ``domain.export_formats.LibraryExport`` (whose TSV/CSV records are named by
    line). A payload that is not a list of objects at all is refused as a whole
    (LibraryShapeError): syncing half of something we do not understand would
    be worse than syncing nothing. Duplicate ASINs keep the first occurrence.
    """
    from domain.export_formats import LibraryExport  # it builds on this module's errors

    lines: tuple[int, ...] | None = None
    if isinstance(payload, LibraryExport):
        payload, lines = payload.records, payload.lines
    if isinstance(payload, Mapping) and isinstance(payload.get("items"), list):
        payload = payload["items"]
    if not isinstance(payload, list):
        raise LibraryShapeError(f"the library must be a JSON list of items, got {type(payload).__name__}")
    items: list[LibraryItem] = []
    rejected: list[LibraryItemError] = []
    seen: set[str] = set()
    for index, raw in enumerate(payload):
        line = lines[index] if lines is not None else None
        try:
            item = parse_library_item(raw, index, line)
        except LibraryItemError as error:
            rejected.append(error)
            continue
        if item.asin in seen:
            rejected.append(
                LibraryItemError(record_label(raw, index, line), "asin", "appears twice in the library")
            )
            continue
        seen.add(item.asin)
        items.append(item)
    if payload and not items and len(rejected) == len(payload):
        raise LibraryShapeError(
            f"none of the {len(payload)} library records could be read; first problem: {rejected[0]}"
        )
    return ParsedLibrary(tuple(items), tuple(rejected))
