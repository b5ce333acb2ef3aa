"""Jobs a person launches (Launchpad or `dagster job execute -c`) to decide what the sync could not.

- ``resolve_audible_conflict``: conflict_id plus exactly one of book_id, create_new (+ book_data), ignore.
- ``link_audible_book``: asin → book_id (or create_new + book_data), confirmed; for titles with no conflict.
- ``unlink_audible_book``: remove an ASIN's mapping(s).
- ``set_audible_mapping_sync``: enable or disable syncing of one mapping.

Each validates its config before touching the database, writes in one transaction
under the account's sync lock (a bad request changes nothing), applies the
title's current progress from the last synced library at once, and reports the
unresolved_conflicts check afresh so the UI shows the new state when the run ends.

A resolution is never undone by a later sync: a linked or created title has a
mapping, and the sync never re-matches a mapped ASIN nor opens a conflict for
it; an ignored title is skipped until its match fingerprint (title, subtitle,
authors, series, ISBN) changes, because only such a change can make the old
answer wrong. Listening progress is not part of it, so a title moving from 10%
to 11% does not ask the same question again.
"""

import getpass
from typing import Any

import dagster as dg
from pydantic import ConfigDict

from domain.accounts import NAME_IN_JOB_CONFIG, AccountChoiceError
from domain.library_items import LibraryItem
from domain.reports import markdown_table
from domain.review import (
    ReviewError,
    clean_asin,
    resolution_from_config,
)
from domain.sync_results import match_fingerprint
from pipelines.checks import conflicts_check_evaluation
from resources.postgres_resource import PostgresResource
from resources.queries import accounts as accounts_sql
from resources.queries import books as books_sql
from resources.queries import conflicts as cq
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import mappings as mappings_sql
from resources.queries import progress as progress_sql

# Launchpad descriptions come from the docstring under each field.
_DOCUMENTED = ConfigDict(use_attribute_docstrings=True)


class BookData(dg.Config):
    """A tracker book to create: the books table's columns."""

    model_config = _DOCUMENTED

    title: str
    """The book's title, as the tracker should show it (required, not empty)."""
    author: str | None = None
    """Author(s), "First Last", several joined by ", " (optional)."""
    isbn: str | None = None
    """ISBN-10 or ISBN-13, hyphens and spaces allowed (optional)."""
    status: str = "to_read"
    """to_read, reading, finished or dnf (progress from Audible is applied right after)."""


class ResolveConflictConfig(dg.Config):
    model_config = _DOCUMENTED

    conflict_id: int
    """The conflict to resolve (the conflict_id column of the unresolved_conflicts check)."""
    book_id: int | None = None
    """Link the title to this existing tracker book (an id of the books table)."""
    create_new: bool = False
    """Create a new tracker book from book_data and link the title to it."""
    book_data: BookData | None = None
    """The book to create when create_new is true."""
    ignore: bool = False
    """Leave the title unmapped; it comes back only if its Audible title/authors/series/ISBN change."""
    resolved_by: str | None = None
    """Who decided (default: the run's user, else the operating-system user); at most 120 characters."""


class LinkBookConfig(dg.Config):
    model_config = _DOCUMENTED

    asin: str
    """An ASIN from the account's last synced library: 10 letters or digits, any case."""
    book_id: int | None = None
    """The existing tracker book to link it to (an id of the books table)."""
    create_new: bool = False
    """Create a new tracker book from book_data and link the ASIN to it (for titles absent from the tracker)."""
    book_data: BookData | None = None
    """The book to create when create_new is true."""
    account: str | None = None
    """Audible account; empty means the only configured one."""
    resolved_by: str | None = None
    """Who decided (default: the run's user, else the operating-system user); at most 120 characters."""


class UnlinkBookConfig(dg.Config):
    model_config = _DOCUMENTED

    asin: str
    """The ASIN whose mapping(s) to remove: 10 letters or digits, any case."""
    book_id: int | None = None
    """Remove only the mapping to this book (default: every mapping of the ASIN)."""
    rematch: bool = False
    """Let the next sync match the title again. By default an unlinked title stays unmapped until its
    Audible title/authors/series/ISBN change, so the sync does not link back what was just removed."""
    account: str | None = None
    """Audible account; empty means the only configured one."""
    resolved_by: str | None = None
    """Who decided (default: the run's user, else the operating-system user); at most 120 characters."""


class MappingSyncConfig(dg.Config):
    model_config = _DOCUMENTED

    asin: str
    """The mapped ASIN: 10 letters or digits, any case."""
    enabled: bool
    """true: progress of this title goes to the book again (applied at once); false: the book is left alone."""
    book_id: int | None = None
    """Needed when the ASIN is mapped to several books (a shared account)."""
    account: str | None = None
    """Audible account; empty means the only configured one."""


def _refuse(message: str) -> dg.Failure:
    return dg.Failure(description=f"{message}. Nothing was changed.")


def _who(context: dg.OpExecutionContext, given: str | None) -> str:
    person = (given or "").strip()[:120] or context.run.tags.get("dagster/user")
    if not person:
        try:
            person = getpass.getuser()
        except Exception:  # no user name in some containers
            person = "unknown"
    return f"{person} via {context.job_name} (run {context.run_id[:8]})"


def _book_data(config_book: BookData | None) -> dict[str, Any] | None:
    if config_book is None:
        return None
    return {
        "title": config_book.title,
        "author": config_book.author,
        "isbn": config_book.isbn,
        "status": config_book.status,
    }


def _account(conn, requested: str | None) -> str:
    try:
        return accounts_sql.resolve_account(conn, requested, how_to_name=NAME_IN_JOB_CONFIG)
    except AccountChoiceError as error:
        raise ReviewError(str(error)) from None


def _target_book(conn, decision) -> int:
    if decision.kind == "create":
        return books_sql.create_book(conn, decision.book)
    if books_sql.get_book(conn, decision.book_id) is None:
        raise ReviewError(f"book {decision.book_id} does not exist in the books table")
    return decision.book_id


def _report(
    context: dg.OpExecutionContext, postgres: PostgresResource, summary: dict[str, Any], progress
) -> None:
    """Log what changed, and the check's new state, so the UI shows it as soon as the run ends."""
    changes = (progress or {}).get("changes", [])
    context.log.info(summary["message"])
    context.add_output_metadata(
        {
            "summary": summary["message"],
            "books_updated": dg.MetadataValue.int((progress or {}).get("books_updated", 0)),
            "progress_applied": dg.MetadataValue.md(
                markdown_table(
                    [
                        {
                            "book_id": c["book_id"],
                            "title": c["title"],
                            "percent": float(c["new_percent"]),
                            "finished": c["is_finished"],
                        }
                        for c in changes
                    ]
                )
            ),
        }
    )
    with postgres.get_engine().connect() as conn:
        context.log_event(conflicts_check_evaluation(cq.open_conflicts(conn), context.instance))


def _guard(func):
    """Turn a ReviewError (raised before or inside the transaction, which then rolls back) into a Failure."""

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ReviewError as error:
            raise _refuse(str(error)) from None

    return run


# --- resolve_audible_conflict ---------------------------------------------------------------


@_guard
def _resolve(context: dg.OpExecutionContext, config: ResolveConflictConfig, postgres: PostgresResource):
    decision = resolution_from_config(
        book_id=config.book_id,
        create_new=config.create_new,
        book_data=_book_data(config.book_data),
        ignore=config.ignore,
    )
    by = _who(context, config.resolved_by)
    progress = None
    with postgres.get_engine().begin() as conn:
        conflict = cq.get_conflict(conn, config.conflict_id)
        if conflict is None:
            open_ids = ", ".join(str(c["id"]) for c in cq.open_conflicts(conn)) or "none"
            raise ReviewError(f"conflict {config.conflict_id} does not exist (open conflicts: {open_ids})")
        cq.lock_account(conn, conflict.account)
        conflict = cq.get_conflict(conn, config.conflict_id, for_update=True)
        if conflict.resolved:
            target = f" to book {conflict.resolved_book_id}" if conflict.resolved_book_id else ""
            raise ReviewError(
                f"conflict {conflict.id} ({conflict.asin}) was already resolved: {conflict.resolution}{target} "
                f"by {conflict.resolved_by} at {conflict.resolved_at:%Y-%m-%d %H:%M %Z}; to change the mapping "
                "use link_audible_book or unlink_audible_book"
            )
        title = conflict.audible_item.get("title")
        if decision.kind == "ignore":
            cq.mark_resolved(conn, conflict.id, resolution="ignored", book_id=None, resolved_by=by)
            message = f"Conflict {conflict.id}: {title!r} ({conflict.asin}) ignored by {by}"
        else:
            book_id = _target_book(conn, decision)
            replaced = mappings_sql.confirm_mapping(
                conn, conflict.account, conflict.asin, book_id, decision.match_method
            )
            cq.mark_resolved(
                conn, conflict.id, resolution=decision.conflict_resolution, book_id=book_id, resolved_by=by
            )
            progress = progress_sql.apply_current_progress(conn, conflict.account, conflict.asin)
            verb = "linked to new book" if decision.kind == "create" else "linked to book"
            message = f"Conflict {conflict.id}: {title!r} ({conflict.asin}) {verb} {book_id} by {by}"
            if replaced:
                message += f"; replaced automatic mapping(s) to book(s) {', '.join(str(r['book_id']) for r in replaced)}"
    _report(context, postgres, {"message": message}, progress)


@dg.op(name="resolve_conflict", description="Resolve one conflict: link, create a book, or ignore.")
def resolve_audible_conflict_op(
    context: dg.OpExecutionContext, config: ResolveConflictConfig, postgres: PostgresResource
) -> None:
    _resolve(context, config, postgres)


@dg.job(
    name="resolve_audible_conflict",
    executor_def=dg.in_process_executor,
    description=(
        "Resolve an open conflict of the unresolved_conflicts check. Config: "
        "ops.resolve_conflict.config.{conflict_id, and one of book_id | create_new + book_data | ignore}."
    ),
)
def resolve_audible_conflict_job():
    resolve_audible_conflict_op()


# --- link_audible_book ----------------------------------------------------------------------


@_guard
def _link(context: dg.OpExecutionContext, config: LinkBookConfig, postgres: PostgresResource):
    asin = clean_asin(config.asin)
    decision = resolution_from_config(
        book_id=config.book_id,
        create_new=config.create_new,
        book_data=_book_data(config.book_data),
        allow_ignore=False,
    )
    by = _who(context, config.resolved_by)
    with postgres.get_engine().begin() as conn:
        account = _account(conn, config.account)
        cq.lock_account(conn, account)
        item = library_snapshot_sql.library_item(conn, account, asin)
        if item is None:
            raise ReviewError(
                f"ASIN {asin} is not in the last synced library of account {account!r}; check the ASIN "
                "(the asin column of audible_library_items), or run audible_sync first"
            )
        book_id = _target_book(conn, decision)
        replaced = mappings_sql.confirm_mapping(conn, account, asin, book_id, decision.match_method)
        conflict = cq.open_conflict_for_asin(conn, account, asin)
        if conflict is not None:
            cq.mark_resolved(
                conn, conflict.id, resolution=decision.conflict_resolution, book_id=book_id, resolved_by=by
            )
        progress = progress_sql.apply_current_progress(conn, account, asin)
    message = f"{item['title']!r} ({asin}, account {account!r}) linked to book {book_id} by {by}"
    if decision.kind == "create":
        message += " (new book)"
    if replaced:
        message += (
            f"; replaced automatic mapping(s) to book(s) {', '.join(str(r['book_id']) for r in replaced)}"
        )
    if conflict is not None:
        message += f"; resolved conflict {conflict.id}"
    _report(context, postgres, {"message": message}, progress)


@dg.op(name="link_book", description="Link an ASIN to a tracker book (confirmed).")
def link_audible_book_op(
    context: dg.OpExecutionContext, config: LinkBookConfig, postgres: PostgresResource
) -> None:
    _link(context, config, postgres)


@dg.job(
    name="link_audible_book",
    executor_def=dg.in_process_executor,
    description=(
        "Link an Audible title to a tracker book, confirmed (it wins over automatic matches). Config: "
        "ops.link_book.config.{asin, book_id | create_new + book_data, account}."
    ),
)
def link_audible_book_job():
    link_audible_book_op()


# --- unlink_audible_book --------------------------------------------------------------------


@_guard
def _unlink(context: dg.OpExecutionContext, config: UnlinkBookConfig, postgres: PostgresResource):
    asin = clean_asin(config.asin)
    by = _who(context, config.resolved_by)
    with postgres.get_engine().begin() as conn:
        account = _account(conn, config.account)
        cq.lock_account(conn, account)
        mappings = mappings_sql.mappings_for_asin(conn, account, asin)
        if not mappings:
            raise ReviewError(f"ASIN {asin} has no mapping in account {account!r}")
        if config.book_id is not None and config.book_id not in {m["book_id"] for m in mappings}:
            mapped = ", ".join(f"{m['book_id']} ({m['title']})" for m in mappings)
            raise ReviewError(f"ASIN {asin} is not mapped to book {config.book_id}; it is mapped to {mapped}")
        removed = mappings_sql.delete_mappings(conn, account, asin, config.book_id)
        ignored = None
        if len(removed) == len(mappings) and config.rematch:
            cq.forget_ignores(conn, account, asin)
        elif len(removed) == len(mappings):
            item = library_snapshot_sql.library_item(conn, account, asin)
            if item is not None:
                fingerprint = match_fingerprint(
                    LibraryItem(
                        asin=asin,
                        title=item["title"],
                        subtitle=item["subtitle"],
                        authors=item["authors"],
                        series_title=item["series_title"],
                        series_sequence=item["series_sequence"],
                        isbn=item["isbn"],
                    )
                )
                ignored = cq.record_ignored(
                    conn,
                    account,
                    asin,
                    fingerprint=fingerprint,
                    reason=f"unlinked by {by}",
                    resolved_by=by,
                )
    books = ", ".join(str(r["book_id"]) for r in removed)
    message = (
        f"{asin} (account {account!r}) unlinked from book(s) {books} by {by}; the books keep their progress"
    )
    if ignored is not None:
        message += "; the sync leaves it unmapped until its Audible title/authors/series/ISBN change"
    _report(context, postgres, {"message": message}, None)


@dg.op(name="unlink_book", description="Remove an ASIN's mapping(s).")
def unlink_audible_book_op(
    context: dg.OpExecutionContext, config: UnlinkBookConfig, postgres: PostgresResource
) -> None:
    _unlink(context, config, postgres)


@dg.job(
    name="unlink_audible_book",
    executor_def=dg.in_process_executor,
    description="Remove an Audible title's mapping(s). Config: ops.unlink_book.config.{asin, book_id, rematch}.",
)
def unlink_audible_book_job():
    unlink_audible_book_op()


# --- set_audible_mapping_sync ---------------------------------------------------------------


@_guard
def _set_sync(context: dg.OpExecutionContext, config: MappingSyncConfig, postgres: PostgresResource):
    asin = clean_asin(config.asin)
    progress = None
    with postgres.get_engine().begin() as conn:
        account = _account(conn, config.account)
        cq.lock_account(conn, account)
        mappings = mappings_sql.mappings_for_asin(conn, account, asin)
        if not mappings:
            raise ReviewError(f"ASIN {asin} has no mapping in account {account!r}; link it first")
        listed = ", ".join(f"{m['book_id']} ({m['title']})" for m in mappings)
        if config.book_id is None:
            if len(mappings) > 1:
                raise ReviewError(f"ASIN {asin} is mapped to several books: {listed}; give book_id")
            target = mappings[0]
        else:
            target = next((m for m in mappings if m["book_id"] == config.book_id), None)
            if target is None:
                raise ReviewError(
                    f"ASIN {asin} is not mapped to book {config.book_id}; it is mapped to {listed}"
                )
        changed = mappings_sql.set_mapping_sync(conn, target["id"], config.enabled)
        if changed and config.enabled:
            progress = progress_sql.apply_current_progress(conn, account, asin)
    state = "enabled" if config.enabled else "disabled"
    message = f"Syncing of {asin} → book {target['book_id']} ({target['title']}) " + (
        state if changed else f"was already {state}"
    )
    _report(context, postgres, {"message": message}, progress)


@dg.op(name="set_mapping_sync", description="Enable or disable syncing of one mapping.")
def set_audible_mapping_sync_op(
    context: dg.OpExecutionContext, config: MappingSyncConfig, postgres: PostgresResource
) -> None:
    _set_sync(context, config, postgres)


@dg.job(
    name="set_audible_mapping_sync",
    executor_def=dg.in_process_executor,
    description=(
        "Enable or disable progress syncing of one mapping. Config: "
        "ops.set_mapping_sync.config.{asin, enabled, book_id, account}."
    ),
)
def set_audible_mapping_sync_job():
    set_audible_mapping_sync_op()


conflict_jobs = [
    resolve_audible_conflict_job,
    link_audible_book_job,
    unlink_audible_book_job,
    set_audible_mapping_sync_job,
]
