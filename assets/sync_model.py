"""What one lineage stage hands to the next, and how we show it to people.

Plain dataclasses and pandas, no Dagster or database import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assets.library_items import LibraryItem

# How many rows a Markdown table in asset metadata shows; the rest is counted.
MAX_TABLE_ROWS = 25


@dataclass(frozen=True)
class LibrarySnapshot:
    """The fetched library of one account, as the audible_library asset hands it on."""

    account: str
    source: str
    items: tuple[LibraryItem, ...]
    rejected: tuple[str, ...] = ()
    api_calls: int = 0
    forced: bool = False


@dataclass(frozen=True)
class MatchResults:
    """Decisions for the library items that had no mapping yet."""

    account: str
    decisions: tuple[dict[str, Any], ...]
    already_mapped: int = 0
    ignored: int = 0
    books_in_tracker: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    # Unmapped titles not matched again: neither they, the tracker's books nor the matcher changed.
    unchanged: int = 0
    # What these decisions were made on (books digest : matcher digest); None when nothing was matched.
    match_basis: str | None = None


def match_fingerprint(item: LibraryItem) -> str:
    """What the match decision depends on. An ignored item comes back only when this changes:
    progress moves every hour and must not reopen a question a person already answered."""
    basis = [item.title, item.subtitle, item.authors, item.series_title, item.series_sequence, item.isbn]
    return hashlib.sha256(json.dumps(basis, ensure_ascii=False).encode()).hexdigest()[:16]


def markdown_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, limit: int = MAX_TABLE_ROWS
) -> str:
    """A Markdown table of at most ``limit`` rows, saying how many were left out."""
    if not rows:
        return "_none_"
    # Imported here: this module is loaded by every `dagster` command and tick, most of
    # which draw no table.
    import pandas as pd

    frame = pd.DataFrame(list(rows[:limit]))
    if columns is not None:
        frame = frame.reindex(columns=list(columns))
    text = frame.to_markdown(index=False)
    if len(rows) > limit:
        text += f"\n\n_… and {len(rows) - limit} more_"
    return text


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
