"""What one lineage stage hands to the next: the fetched library, the match decisions, what was written.

Each carries the account and the sync log id, so no step has to look its sync
up by run id or keep it in a global: any executor gives the same result.
Plain dataclasses, no Dagster or database import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from domain import match_scoring, matching, normalize
from domain.library_items import LibraryItem
from domain.matching import MatchDecision, MatchSettings, TrackerBook
from domain.tracker_profile import TrackerProfile


@dataclass(frozen=True)
class LibrarySnapshot:
    """The fetched library of one account, as the audible_library asset hands it on."""

    account: str
    sync_log_id: int
    source: str
    items: tuple[LibraryItem, ...]
    rejected: tuple[str, ...] = ()
    api_calls: int = 0
    forced: bool = False
    # The tracker as checked before fetching: the write phase writes it the way it was found.
    tracker: TrackerProfile | None = None

    def __reduce__(self):
        # Each later step loads the snapshot from the IO manager: 10,000 items pickled as rows
        # of values load in about two thirds of the time they take as 10,000 objects.
        others = {name: getattr(self, name) for name in _SNAPSHOT_FIELDS if name != "items"}
        return _snapshot_from_rows, (others, [_item_values(item) for item in self.items])


_ITEM_FIELDS = tuple(f.name for f in fields(LibraryItem))
_item_values = attrgetter(*_ITEM_FIELDS)
_SNAPSHOT_FIELDS = tuple(f.name for f in fields(LibrarySnapshot))


def _snapshot_from_rows(others: dict[str, Any], rows: list[tuple]) -> LibrarySnapshot:
    """A LibrarySnapshot back from ``__reduce__``'s values, built as unpickling builds objects."""
    items = []
    for row in rows:
        item = object.__new__(LibraryItem)
        item.__dict__.update(zip(_ITEM_FIELDS, row, strict=True))
        items.append(item)
    return LibrarySnapshot(items=tuple(items), **others)


@dataclass(frozen=True)
class MatchResults:
    """Decisions for the library items that had no mapping yet."""

    account: str
    sync_log_id: int
    decisions: tuple[dict[str, Any], ...]
    already_mapped: int = 0
    ignored: int = 0
    books_in_tracker: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    # Unmapped titles not matched again: neither they, the tracker's books nor the matcher changed.
    unchanged: int = 0
    # What these decisions were made on (books digest : matcher digest); None when nothing was matched.
    match_basis: str | None = None


@dataclass(frozen=True)
class SyncWriteSummary:
    """What the write step hands to the stats step: whose sync it wrote, and what changed."""

    account: str
    sync_log_id: int
    mappings_created: int = 0
    conflicts_opened: int = 0
    progress_updates: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.mappings_created or self.conflicts_opened or self.progress_updates)


@dataclass(frozen=True)
class SyncWrites:
    """What the write step wrote in its one transaction, rows as the queries returned them."""

    library_changes: int
    new_mappings: Sequence[Mapping[str, Any]]
    conflicts_closed: int
    conflicts_refreshed: int
    conflicts_opened: Sequence[Mapping[str, Any]]
    # apply_progress's result: books_updated, history_rows and the per-book changes.
    progress: Mapping[str, Any]
    # Unmapped titles the sync added as tracker books (auto_add_min_progress).
    books_auto_added: int = 0

    @property
    def books_updated(self) -> int:
        return self.progress["books_updated"]

    @property
    def history_rows(self) -> int:
        return self.progress["history_rows"]

    @property
    def progress_changes(self) -> Sequence[Mapping[str, Any]]:
        return self.progress["changes"]

    def log_counts(self) -> dict[str, int]:
        """The counts the sync log row keeps."""
        return {
            "items_matched": len(self.new_mappings),
            "mappings_created": len(self.new_mappings) + self.books_auto_added,
            "conflicts_opened": len(self.conflicts_opened),
            "progress_updates": self.books_updated,
            "books_auto_added": self.books_auto_added,
        }

    def summary(self, account: str, sync_log_id: int) -> SyncWriteSummary:
        return SyncWriteSummary(
            account=account,
            sync_log_id=sync_log_id,
            mappings_created=len(self.new_mappings) + self.books_auto_added,
            conflicts_opened=len(self.conflicts_opened),
            progress_updates=self.books_updated,
        )


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
        "small, sync once with accept_smaller_library: true (or force: true) in the audible_library config, "
        "or `audible-tracker sync --force`."
    )


def match_fingerprint(item: LibraryItem) -> str:
    """What the match decision depends on. An ignored item comes back only when this changes:
    progress moves every hour and must not reopen a question a person already answered."""
    basis = [item.title, item.subtitle, item.authors, item.series_title, item.series_sequence, item.isbn]
    return hashlib.sha256(json.dumps(basis, ensure_ascii=False).encode()).hexdigest()[:16]


@lru_cache(maxsize=8)
def matcher_digest(settings: MatchSettings) -> str:
    """Changes whenever the matcher could decide differently: its code or its settings."""
    digest = hashlib.sha256(repr(settings).encode())
    for module in (matching, match_scoring, normalize):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def decision_records(
    decisions: Iterable[MatchDecision],
    books_by_id: Mapping[Any, TrackerBook],
    fingerprints: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Decision records for the write stage, candidates named so people can read the conflict."""
    records = []
    for decision in decisions:
        record = decision.to_json()
        record["book_id"] = decision.book_id
        record["method"] = decision.method
        record["reason"] = decision.reason
        record["fingerprint"] = fingerprints[decision.asin]
        record["candidates"] = [
            {
                "book_id": c.book_id,
                "score": c.score,
                "title": books_by_id[c.book_id].title,
                "author": books_by_id[c.book_id].author,
            }
            for c in decision.candidates
        ]
        records.append(record)
    return records


@dataclass(frozen=True)
class MatchSelection:
    """Which library titles the match step decides now, and why the others are left alone."""

    unmapped: tuple[LibraryItem, ...]
    # Unmapped and not ignored by a person with this same fingerprint.
    open_questions: tuple[LibraryItem, ...]
    to_match: tuple[LibraryItem, ...] = ()


def unmapped_open_questions(
    items: Sequence[LibraryItem],
    fingerprints: Mapping[str, str],
    mapped: Iterable[str],
    ignored: Mapping[str, str],
) -> MatchSelection:
    """Titles without a mapping, and of those the ones a person has not ignored as they are now."""
    mapped = set(mapped)
    unmapped = tuple(item for item in items if item.asin not in mapped)
    open_questions = tuple(item for item in unmapped if ignored.get(item.asin) != fingerprints[item.asin])
    return MatchSelection(unmapped=unmapped, open_questions=open_questions)


def still_to_match(
    selection: MatchSelection, fingerprints: Mapping[str, str], standing: Mapping[str, str]
) -> MatchSelection:
    """Drop the titles whose earlier decision stands (same title data, same books, same matcher)."""
    to_match = tuple(
        item for item in selection.open_questions if standing.get(item.asin) != fingerprints[item.asin]
    )
    return MatchSelection(selection.unmapped, selection.open_questions, to_match)


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
