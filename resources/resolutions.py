"""Carrying out what a person decided about Audible titles, and taking it back.

One implementation for every way of deciding: the Dagster jobs
(resolve_audible_conflict, resolve_audible_conflicts, link_audible_book,
add_audible_books_to_tracker), `audible-tracker review` and `add-missing`, and
the sync's auto-add. Each function works inside the caller's transaction
(``engine.begin()``) after taking the account's sync lock, so a decision never
interleaves with a sync's writes, and a ReviewError raised halfway rolls back
everything the transaction did: a decision is applied whole or not at all.

No Dagster import: the CLI uses it without loading the code location.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from domain.new_books import TO_READ, NewBook, SelectionError, new_book_from_item, select_titles
from domain.review import PlannedDecision, Resolution, ReviewError, stored_library_item
from domain.sync_results import match_fingerprint
from resources.queries import books as books_sql
from resources.queries import conflicts as cq
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import mappings as mappings_sql
from resources.queries import progress as progress_sql
from resources.queries import settings as settings_sql


@dataclass(frozen=True)
class Undo:
    """What a decision changed, so that it can be taken back exactly."""

    account: str
    asin: str
    conflict_id: int | None = None  # the conflict this decision resolved: reopened on undo
    resolved_at: Any = None
    ignore_id: int | None = None  # the 'ignored' row recorded for a title without a conflict
    mappings_before: tuple[dict[str, Any], ...] = ()
    book_id: int | None = None
    book_created: bool = False
    book_before: dict[str, Any] | None = None
    book_after: dict[str, Any] | None = None
    history_after_id: int = 0


@dataclass(frozen=True)
class Outcome:
    account: str
    asin: str
    title: str
    kind: str  # link | create | ignore
    book_id: int | None
    conflict_id: int | None
    message: str
    undo: Undo
    replaced: tuple[dict[str, Any], ...] = ()
    progress: dict[str, Any] | None = None


# --- one decision ---------------------------------------------------------------------------


def _require_creatable(conn: sa.Connection) -> None:
    refusal = books_sql.creation_refusal(conn)
    if refusal:
        raise ReviewError(refusal)


def _target_book(conn: sa.Connection, resolution: Resolution, item: Mapping[str, Any]) -> tuple[int, bool]:
    """(book id, created) for a link or a create."""
    if resolution.kind == "create":
        # From the Audible title, the book starts as not started: the progress step then gives it
        # its status and dates by the same rules as a sync (domain.progress_rules).
        book = resolution.book or replace(new_book_from_item(item), status=TO_READ)
        return books_sql.create_book(conn, book), True
    if books_sql.get_book(conn, resolution.book_id) is None:
        raise ReviewError(f"book {resolution.book_id} does not exist in the books table")
    return resolution.book_id, False


def ignore_fingerprint(item: Mapping[str, Any]) -> str:
    return match_fingerprint(stored_library_item(item))


def _ignore(
    conn: sa.Connection, account: str, item: Mapping[str, Any], conflict: Any, by: str, reason: str
) -> Outcome:
    asin, title = item["asin"], item.get("title")
    if conflict is not None:
        resolved_at = cq.mark_resolved(conn, conflict.id, resolution="ignored", book_id=None, resolved_by=by)
        undo = Undo(account, asin, conflict_id=conflict.id, resolved_at=resolved_at)
        message = f"Conflict {conflict.id}: {title!r} ({asin}) ignored by {by}"
    else:
        ignore_id = cq.record_ignored(
            conn, account, asin, fingerprint=ignore_fingerprint(item), reason=reason, resolved_by=by
        )
        undo = Undo(account, asin, ignore_id=ignore_id)
        message = f"{title!r} ({asin}, account {account!r}) ignored by {by}"
    return Outcome(account, asin, title, "ignore", None, getattr(conflict, "id", None), message, undo)


def _apply(
    conn: sa.Connection,
    account: str,
    item: Mapping[str, Any],
    resolution: Resolution,
    *,
    by: str,
    conflict: Any = None,
    apply_progress: bool = True,
    ignore_reason: str = "",
) -> Outcome:
    """Write one decision about one title (the account's lock is held, the conflict row locked)."""
    if resolution.kind == "ignore":
        return _ignore(conn, account, item, conflict, by, ignore_reason or f"ignored by {by}")
    asin, title = item["asin"], item.get("title")
    mappings_before = mappings_sql.mapping_rows(conn, account, asin)
    watermark = progress_sql.history_watermark(conn)
    book_id, created = _target_book(conn, resolution, item)
    book_before = None if created else books_sql.progress_state(conn, book_id)
    replaced = mappings_sql.confirm_mapping(conn, account, asin, book_id, resolution.match_method)
    resolved_at = None
    if conflict is not None:
        resolved_at = cq.mark_resolved(
            conn, conflict.id, resolution=resolution.conflict_resolution, book_id=book_id, resolved_by=by
        )
    progress = progress_sql.apply_current_progress(conn, account, [asin]) if apply_progress else None
    undo = Undo(
        account,
        asin,
        conflict_id=getattr(conflict, "id", None),
        resolved_at=resolved_at,
        mappings_before=tuple(mappings_before),
        book_id=book_id,
        book_created=created,
        book_before=book_before,
        book_after=books_sql.progress_state(conn, book_id) if apply_progress else None,
        history_after_id=watermark,
    )
    verb = "linked to new book" if created else "linked to book"
    subject = f"Conflict {conflict.id}: {title!r} ({asin})" if conflict is not None else f"{title!r} ({asin})"
    message = f"{subject} {verb} {book_id} by {by}"
    if replaced:
        message += (
            f"; replaced automatic mapping(s) to book(s) {', '.join(str(r['book_id']) for r in replaced)}"
        )
    return Outcome(
        account,
        asin,
        title,
        resolution.kind,
        book_id,
        undo.conflict_id,
        message,
        undo,
        tuple(replaced),
        progress,
    )


def _conflict_item(conn: sa.Connection, conflict: Any) -> dict[str, Any]:
    """The title as last synced, else as the conflict recorded it (it may have left the library)."""
    item = library_snapshot_sql.library_item(conn, conflict.account, conflict.asin)
    return item or {**conflict.audible_item, "asin": conflict.asin}


def _already_resolved(conflict: Any) -> ReviewError:
    target = f" to book {conflict.resolved_book_id}" if conflict.resolved_book_id else ""
    return ReviewError(
        f"conflict {conflict.id} ({conflict.asin}) was already resolved: {conflict.resolution}{target} "
        f"by {conflict.resolved_by} at {conflict.resolved_at:%Y-%m-%d %H:%M %Z}; to change the mapping "
        "use link_audible_book or unlink_audible_book"
    )


def _open_ids(conn: sa.Connection) -> str:
    return ", ".join(str(c["id"]) for c in cq.open_conflicts(conn)) or "none"


def resolve_conflict(conn: sa.Connection, conflict_id: int, resolution: Resolution, *, by: str) -> Outcome:
    """Decide an open conflict: link it, create its book, or ignore it."""
    conflict = cq.get_conflict(conn, conflict_id)
    if conflict is None:
        raise ReviewError(f"conflict {conflict_id} does not exist (open conflicts: {_open_ids(conn)})")
    cq.lock_account(conn, conflict.account)
    conflict = cq.get_conflict(conn, conflict_id, for_update=True)
    if conflict.resolved:
        raise _already_resolved(conflict)
    return _apply(
        conn, conflict.account, _conflict_item(conn, conflict), resolution, by=by, conflict=conflict
    )


def decide_title(
    conn: sa.Connection,
    account: str,
    asin: str,
    resolution: Resolution,
    *,
    by: str,
    ignore_reason: str = "",
) -> Outcome:
    """Decide any title of the account's last synced library; resolves its open conflict if it has one."""
    cq.lock_account(conn, account)
    item = library_snapshot_sql.library_item(conn, account, asin)
    if item is None:
        raise ReviewError(
            f"ASIN {asin} is not in the last synced library of account {account!r}; check the ASIN "
            "(the asin column of audible_library_items), or run audible_sync first"
        )
    open_conflict = cq.open_conflict_for_asin(conn, account, asin)
    conflict = cq.get_conflict(conn, open_conflict.id, for_update=True) if open_conflict else None
    return _apply(conn, account, item, resolution, by=by, conflict=conflict, ignore_reason=ignore_reason)


# --- many decisions at once ----------------------------------------------------------------


def _entry_problem(conn: sa.Connection, planned: PlannedDecision, conflict: Any) -> str | None:
    if conflict.resolved:
        return f"{planned.where}: conflict_id: {_already_resolved(conflict)}"
    book_id = planned.resolution.book_id
    if planned.resolution.kind == "link" and books_sql.get_book(conn, book_id) is None:
        return f"{planned.where}: book_id: book {book_id} does not exist in the books table"
    return None


def _check_planned(conn: sa.Connection, planned: Sequence[PlannedDecision]) -> dict[int, Any]:
    """Every conflict and book of the list, looked up and locked; all problems in one ReviewError."""
    found = {p.conflict_id: cq.get_conflict(conn, p.conflict_id) for p in planned}
    missing = [
        f"{p.where}: conflict_id: conflict {p.conflict_id} does not exist"
        for p in planned
        if found[p.conflict_id] is None
    ]
    if missing:
        raise ReviewError("; ".join(missing) + f" (open conflicts: {_open_ids(conn)})")
    for account in sorted({c.account for c in found.values()}):
        cq.lock_account(conn, account)
    locked = {p.conflict_id: cq.get_conflict(conn, p.conflict_id, for_update=True) for p in planned}
    problems = [problem for p in planned if (problem := _entry_problem(conn, p, locked[p.conflict_id]))]
    creating = [p for p in planned if p.resolution.kind == "create"]
    refusal = books_sql.creation_refusal(conn) if creating else None
    if refusal:
        problems.append(f"{creating[0].where}: create_new: {refusal}")
    if problems:
        raise ReviewError("; ".join(problems))
    return locked


def _apply_progress_by_account(conn: sa.Connection, outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The current progress of every newly linked title, one progress step per account."""
    by_account: dict[str, list[str]] = {}
    for outcome in outcomes:
        if outcome.book_id is not None:
            by_account.setdefault(outcome.account, []).append(outcome.asin)
    total: dict[str, Any] = {"books_updated": 0, "history_rows": 0, "changes": []}
    for account, asins in sorted(by_account.items()):
        result = progress_sql.apply_current_progress(conn, account, asins)
        total["books_updated"] += result["books_updated"]
        total["history_rows"] += result["history_rows"]
        total["changes"] += result["changes"]
    return total


def resolve_conflicts(
    conn: sa.Connection, planned: Sequence[PlannedDecision], *, by: str
) -> tuple[list[Outcome], dict[str, Any]]:
    """Apply a list of decisions, all or nothing (the caller's transaction); returns the outcomes and
    the progress applied. Every problem found before writing is reported at once, by list position."""
    conflicts = _check_planned(conn, planned)
    outcomes = []
    for p in planned:
        conflict = conflicts[p.conflict_id]
        try:
            outcomes.append(
                _apply(
                    conn,
                    conflict.account,
                    _conflict_item(conn, conflict),
                    p.resolution,
                    by=by,
                    conflict=conflict,
                    apply_progress=False,
                )
            )
        except ReviewError as error:
            raise ReviewError(f"{p.where}: {error}") from None
    return outcomes, _apply_progress_by_account(conn, outcomes)


# --- taking a decision back ---------------------------------------------------------------


def undo(conn: sa.Connection, change: Undo) -> str:
    """Take a decision back exactly: mappings as they were, the book's progress as it was (unless
    someone changed it since), the conflict open again, a created book deleted when nothing else
    refers to it. Raises ReviewError, changing nothing, when the decision was overtaken since."""
    cq.lock_account(conn, change.account)
    notes = []
    if change.conflict_id is not None:
        if not cq.reopen_conflict(conn, change.conflict_id, change.resolved_at):
            raise ReviewError(
                f"conflict {change.conflict_id} ({change.asin}) changed since this decision "
                "(a sync or another person); nothing was undone"
            )
        notes.append(f"conflict {change.conflict_id} is open again")
    if change.ignore_id is not None:
        cq.delete_ignore(conn, change.ignore_id)
        notes.append(f"{change.asin} is no longer ignored")
    if change.book_id is None:
        return "; ".join(notes)
    progress_sql.delete_history_since(conn, change.account, change.asin, change.history_after_id)
    mappings_sql.restore_mappings(conn, change.account, change.asin, list(change.mappings_before))
    notes.insert(0, f"{change.asin} unlinked from book {change.book_id}")
    if change.book_created:
        others = books_sql.references_to_book(conn, change.book_id)
        if others:
            notes.append(f"book {change.book_id} kept: {', '.join(others)} refer to it")
        else:
            books_sql.delete_book(conn, change.book_id)
            notes.append(f"book {change.book_id} deleted")
    elif change.book_before is not None and change.book_after is not None:
        if books_sql.restore_progress(conn, change.book_id, change.book_before, change.book_after):
            notes.append(f"book {change.book_id}'s progress restored")
        else:
            notes.append(f"book {change.book_id}'s progress left as is: it changed since")
    return "; ".join(notes)


# --- adding what the tracker lacks ---------------------------------------------------------


@dataclass(frozen=True)
class AddedBooks:
    account: str
    planned: tuple[tuple[Mapping[str, Any], NewBook], ...]  # (title, the book made from it)
    below_threshold: tuple[tuple[str, str], ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    progress: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row per planned book (in planned order): the title's ASIN, the book id once
        created, and the book's title, author, ISBN and status."""
        ids = {o.asin: o.book_id for o in self.outcomes}
        return [
            {
                "asin": item["asin"],
                "book_id": ids.get(item["asin"]),
                "title": book.title,
                "author": book.author,
                "isbn": book.isbn,
                "status": book.status,
            }
            for item, book in self.planned
        ]


def add_missing(
    conn: sa.Connection,
    account: str,
    *,
    asins: Iterable[str] = (),
    take_all: bool = False,
    min_progress: float | None = None,
    dry_run: bool = False,
    by: str,
    apply_progress: bool = True,
) -> AddedBooks:
    """Create tracker books for unmapped titles, each with a confirmed `created` mapping, in the
    caller's transaction. ``dry_run`` only says what it would create. ``apply_progress`` False
    leaves the progress to the caller's own progress step (the sync's)."""
    if not dry_run:
        cq.lock_account(conn, account)
    try:
        selection = select_titles(
            cq.unmapped_titles(conn, account), asins=asins, take_all=take_all, min_progress=min_progress
        )
    except SelectionError as error:
        raise ReviewError(str(error)) from None
    planned = tuple((row, new_book_from_item(row)) for row in selection.chosen)
    if not planned or dry_run:
        return AddedBooks(account, planned, selection.below_threshold)
    _require_creatable(conn)
    outcomes = []
    for row, _ in planned:
        conflict = None
        if row.get("open_conflict_id") is not None:  # named by ASIN: the conflict is answered with it
            conflict = cq.get_conflict(conn, row["open_conflict_id"], for_update=True)
        outcomes.append(
            _apply(
                conn,
                account,
                row,
                Resolution("create"),  # from the title, as planned
                by=by,
                conflict=conflict,
                apply_progress=False,
            )
        )
    progress = _apply_progress_by_account(conn, outcomes) if apply_progress else {}
    return AddedBooks(account, planned, selection.below_threshold, tuple(outcomes), progress)


def auto_add(conn: sa.Connection, account: str, warn: Callable[[str], None]) -> list[Outcome]:
    """The sync's own add-missing: unmapped titles whose progress reaches the account's
    auto_add_min_progress (off when unset). When it cannot run, ``warn`` gets one line
    saying why and the sync goes on. The sync's progress step applies their progress."""
    settings = settings_sql.read_settings(conn, account) or {}
    minimum = settings.get("auto_add_min_progress")
    if minimum is None:
        return []
    refusal = books_sql.creation_refusal(conn)
    if refusal:
        warn(f"Account {account!r}: nothing auto-added (auto_add_min_progress is {minimum} %): {refusal}")
        return []
    added = add_missing(
        conn,
        account,
        take_all=True,
        min_progress=float(minimum),
        by=f"sync: auto_add_min_progress {minimum} %",
        apply_progress=False,
    )
    return list(added.outcomes)
