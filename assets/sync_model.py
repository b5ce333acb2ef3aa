"""What one lineage stage hands to the next, and how we show it to people.

Plain dataclasses and pandas, no Dagster or database import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
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
    # tabulate directly rather than through a pandas frame: importing pandas cost a
    # quarter of a second in every sync run that drew no chart.
    from tabulate import tabulate

    shown = [dict(row) for row in rows[:limit]]
    if columns is not None:
        shown = [{column: row.get(column) for column in columns} for row in shown]
    text = tabulate(shown, headers="keys", tablefmt="pipe", showindex=False)
    if len(rows) > limit:
        text += f"\n\n_… and {len(rows) - limit} more_"
    return text


# A sync that changed nothing redraws the sync activity chart only when the drawing
# is older than this (or from an earlier day): drawing it cost more than the rest of
# such a sync, and the activity table next to it is current after every sync.
ACTIVITY_CHART_MAX_AGE = timedelta(hours=6)


def activity_chart_due(
    *,
    sync_changed: bool,
    account: str,
    now: datetime,
    last_drawn_at: datetime | None,
    last_drawn_for: str | None,
) -> bool:
    """Whether this sync draws the sync activity chart again (times are aware datetimes)."""
    if sync_changed or last_drawn_at is None or last_drawn_for != account:
        return True
    return last_drawn_at.astimezone(timezone.utc).date() != now.astimezone(timezone.utc).date() or (
        now - last_drawn_at > ACTIVITY_CHART_MAX_AGE
    )


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
