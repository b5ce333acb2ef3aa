"""What each step of the sync shows people: counts and Markdown tables, as plain values.

Pure: no Dagster or database import. The assets publish these as their
materialization metadata (a ``Markdown`` value is shown as Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.reports import Markdown, counted, decision_counts, markdown_table
from domain.sync_results import LibrarySnapshot, MatchResults, SyncWrites

Report = dict[str, Any]


def library_report(snapshot: LibrarySnapshot) -> Report:
    """audible_library: what was fetched, what was refused, and what is being listened to."""
    items = snapshot.items
    in_progress = [i for i in items if 0 < i.percent_complete < 100 and not i.is_finished]
    return {
        "account": snapshot.account,
        "source": snapshot.source,
        "titles": len(items),
        "rejected_records": len(snapshot.rejected),
        "finished": sum(1 for i in items if i.is_finished),
        "in_progress": len(in_progress),
        "api_calls": snapshot.api_calls,
        "forced": snapshot.forced,
        "rejected": Markdown("\n".join(f"- {problem}" for problem in snapshot.rejected[:25]) or "_none_"),
        "in_progress_titles": Markdown(
            markdown_table(
                [
                    {"asin": i.asin, "title": i.title, "authors": i.authors, "percent": i.percent_complete}
                    for i in sorted(in_progress, key=lambda i: -i.percent_complete)
                ]
            )
        ),
    }


def matching_summary(matched: int, books: int, counts: Mapping[str, int]) -> str:
    """One log line: how many titles were matched against how many books, and the outcome."""
    return f"Matched {matched} unmapped titles against {books} tracker books: {decision_counts(counts) or 'nothing to do'}"


def matches_report(results: MatchResults, titles: Mapping[str, str]) -> Report:
    """audible_book_matches: the decisions taken now, and the titles not linked with their reason."""
    not_linked = [
        {
            "asin": r["asin"],
            "title": titles[r["asin"]],
            "decision": r["decision"],
            "best": (
                f"#{r['candidates'][0]['book_id']} {r['candidates'][0]['title']}" if r["candidates"] else ""
            ),
            "score": r["confidence"],
            "reason": r["reason"],
        }
        for r in results.decisions
        if r["decision"] != "linked"
    ]
    return {
        "matched_now": len(results.decisions),
        "linked": results.counts.get("linked", 0),
        "conflicts": results.counts.get("conflict", 0),
        "unmatched": results.counts.get("unmatched", 0),
        "already_mapped": results.already_mapped,
        "ignored_by_a_person": results.ignored,
        "unchanged_since_last_match": results.unchanged,
        "tracker_books_read": results.books_in_tracker,
        "not_linked": Markdown(markdown_table(not_linked)),
    }


def writes_summary(account: str, writes: SyncWrites) -> str:
    """One log line: what the write step changed."""
    return (
        f"Account {account!r}: {counted(len(writes.new_mappings), 'new mapping')}, "
        f"{counted(len(writes.conflicts_opened), 'conflict')} opened, {counted(writes.books_updated, 'book')} "
        f"updated, {counted(writes.history_rows, 'history row')}"
    )


def mappings_report(account: str, sync_log_id: int, writes: SyncWrites, titles: Mapping[str, str]) -> Report:
    """audible_book_mappings: new links, conflicts opened, updated and closed, library rows changed."""
    return {
        "account": account,
        "sync_log_id": sync_log_id,
        "mappings_created": len(writes.new_mappings),
        "conflicts_opened": len(writes.conflicts_opened),
        "conflicts_updated": writes.conflicts_refreshed,
        "conflicts_closed_by_match": writes.conflicts_closed,
        "books_auto_added": writes.books_auto_added,
        "library_rows_changed": writes.library_changes,
        "new_mappings": Markdown(
            markdown_table(
                [
                    {
                        "asin": m["asin"],
                        "title": titles.get(m["asin"]),
                        "book_id": m["book_id"],
                        "method": m["match_method"],
                        "confidence": float(m["confidence"]),
                    }
                    for m in writes.new_mappings
                ]
            )
        ),
        "new_conflicts": Markdown(
            markdown_table(
                [
                    {"conflict": c["id"], "asin": c["asin"], "title": c["title"], "reason": c["reason"]}
                    for c in writes.conflicts_opened
                ]
            )
        ),
    }


def book_progress_report(writes: SyncWrites) -> Report:
    """tracker_book_progress: books whose progress changed, and those finished by this sync."""
    changes = writes.progress_changes
    return {
        "books_updated": writes.books_updated,
        "finished_now": sum(1 for c in changes if c["is_finished"] and not c["was_finished"]),
        "changes": Markdown(
            markdown_table(
                [
                    {
                        "book_id": c["book_id"],
                        "title": c["title"],
                        "from": None if c["old_percent"] is None else float(c["old_percent"]),
                        "to": float(c["new_percent"]),
                        "finished": c["is_finished"],
                    }
                    for c in changes
                ]
            )
        ),
    }


# --- the stats step: one report per view ------------------------------------------------------

_SYNC_STATS_NUMBERS = (
    "total_mappings",
    "mapped",
    "unmapped",
    "currently_reading",
    "finished",
    "open_conflicts",
    "library_items",
    "successful_syncs",
    "failed_syncs",
    "books_auto_added",  # by syncs, through auto_add_min_progress (over the sync logs kept)
)


def sync_stats_report(rows: Sequence[Mapping[str, Any]]) -> Report:
    """audible_sync_stats: the account's totals (one row)."""
    row = rows[0] if rows else {}
    numbers = {key: int(row.get(key) or 0) for key in _SYNC_STATS_NUMBERS}
    return {**numbers, "last_sync_status": str(row.get("last_sync_status"))}


def currently_reading_report(rows: Sequence[Mapping[str, Any]]) -> Report:
    table = [
        {
            "book_id": r["book_id"],
            "title": r["title"],
            "author": r["author"],
            "percent": float(r["progress_percent"] or 0),
        }
        for r in rows
    ]
    return {"books": len(rows), "reading": Markdown(markdown_table(table))}


def sync_activity_report(rows: Sequence[Mapping[str, Any]]) -> Report:
    table = [
        {
            "day": str(r["day"]),
            "syncs": r["syncs"],
            "ok": r["successful"],
            "failed": r["failed"],
            "skipped": r["skipped"],
            "progress_updates": r["progress_updates"],
        }
        for r in rows
        if r["syncs"]
    ]
    return {
        "syncs_30_days": sum(int(r["syncs"]) for r in rows),
        "failed_30_days": sum(int(r["failed"]) for r in rows),
        "days_with_syncs": Markdown(markdown_table(table, limit=30)),
    }


ACTIVITY_COLUMNS = ("syncs", "successful", "failed", "skipped", "items_fetched", "progress_updates")


def sync_activity_days(rows: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """The audible_sync_activity rows as columns, oldest day first: ``day`` as YYYY-MM-DD text and
    every count as an int (0 for none). Plain lists: the chart of 30 bars needs no data frame."""
    ordered = sorted(rows, key=lambda r: str(r["day"])[:10])
    columns: dict[str, list] = {"day": [str(r["day"])[:10] for r in ordered]}
    for column in ACTIVITY_COLUMNS:
        columns[column] = [int(r.get(column) or 0) for r in ordered]
    return columns


def unmapped_books_report(rows: Sequence[Mapping[str, Any]]) -> Report:
    table = [
        {
            "asin": r["asin"],
            "title": r["title"],
            "authors": r["authors"],
            "open_conflict": r["open_conflict_id"],
            "ignored": r["ignored"],
        }
        for r in rows
    ]
    return {"unmapped": len(rows), "titles": Markdown(markdown_table(table))}
