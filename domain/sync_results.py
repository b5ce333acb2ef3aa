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
from domain.tracker_profile import TrackerProfile


@dataclass(frozen=True)
class LibrarySnapshot:
    """The fetched library of one account, as the audible_library asset hands it on."""

    account: str
    source: str
    items: tuple[LibraryItem, ...]
    rejected: tuple[str, ...] = ()
    api_calls: int = 0
    forced: bool = False
    # The tracker as checked before fetching: the write phase writes it the way it was found.
    tracker: TrackerProfile | None = None


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


def collapsed_library_refusal(account: str, source: str, titles: int, stored_titles: int) -> str | None:
    """Why a library that shrank to nothing, or below half of the last synced one, is not written.

    An export cut short or a fetch that lost pages looks exactly like a reader who sold most of
    their books; only the first is likely, and writing it would drop the snapshot of every title.
    """
    if titles and titles * 2 >= stored_titles:
        return None
    shrunk = "is empty" if not titles else f"has {titles} titles"
    before = f", where the last successful sync had {stored_titles}" if stored_titles else ""
    return (
        f"Library of account {account!r} ({source}) {shrunk}{before}: refused, as a cut-short export or "
        "fetch would empty the library snapshot. Nothing was changed. If the library really is this "
        "small, sync once with accept_smaller_library: true (or force: true) in the audible_library config."
    )


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
