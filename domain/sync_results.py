"""What one lineage stage hands to the next: the fetched library and the match decisions.

Plain dataclasses, no Dagster or database import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.library_items import LibraryItem


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
