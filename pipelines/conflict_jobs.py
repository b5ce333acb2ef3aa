"""Jobs a person launches (Launchpad or `dagster job execute -c`) to decide what the sync could not.

- ``resolve_audible_conflict``: conflict_id plus exactly one of book_id, create_new (+ book_data), ignore.
- ``resolve_audible_conflicts``: a list of such decisions, applied all or nothing (the check's run config).
- ``link_audible_book``: asin → book_id (or create_new + book_data), confirmed; for titles with no conflict.
- ``add_audible_books_to_tracker``: tracker books for unmatched titles (all, by ASIN, by progress).
- ``unlink_audible_book``: remove an ASIN's mapping(s).
- ``set_audible_mapping_sync``: enable or disable syncing of one mapping.

Each validates its config before touching the database, writes in one transaction
under the account's sync lock (a bad request changes nothing), applies the
title's current progress from the last synced library at once, and reports the
unresolved_conflicts check afresh so the UI shows the new state when the run ends.
The decisions themselves are carried out by ``resources.resolutions``, the same
code `audible-tracker review` and `add-missing` use.

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
import sqlalchemy as sa
from pydantic import ConfigDict

from domain.accounts import NAME_IN_JOB_CONFIG, AccountChoiceError
from domain.reports import count_by, markdown_table
from domain.review import (
    BATCH_JOB,
    ReviewError,
    clean_asin,
    decisions_from_config,
    resolution_from_config,
)
from pipelines.checks import conflicts_check_evaluation
from resources import resolutions
from resources.postgres_resource import PostgresResource
from resources.queries import accounts as accounts_sql
from resources.queries import conflicts as cq
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import mappings as mappings_sql
from resources.queries import progress as progress_sql

# Launchpad descriptions come from the docstring under each field.
_DOCUMENTED = ConfigDict(use_attribute_docstrings=True)


class BookData(dg.Config):
    """A tracker book to create: the books table's columns. Leave book_data out to make the book from
    the Audible title (its title without edition tags, its authors, ISBN, status from progress)."""

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
    """Create a new tracker book (from book_data, else from the Audible title) and link the title to it."""
    book_data: BookData | None = None
    """The book to create when create_new is true."""
    ignore: bool = False
    """Leave the title unmapped; it comes back only if its Audible title/authors/series/ISBN change."""
    resolved_by: str | None = None
    """Who decided (default: the run's user, else the operating-system user); at most 120 characters."""


class ConflictDecision(dg.Config):
    """One entry of resolve_audible_conflicts: conflict_id and one of book_id, create_new, ignore."""

    model_config = _DOCUMENTED

    conflict_id: int
    """The conflict to decide (the conflict_id column of the unresolved_conflicts check)."""
    book_id: int | None = None
    """Link the title to this existing tracker book (an id of the books table)."""
    create_new: bool = False
    """Create a new tracker book (from book_data, else from the Audible title) and link the title to it."""
    book_data: BookData | None = None
    """The book to create when create_new is true (optional)."""
    ignore: bool = False
    """Leave the title unmapped; it comes back only if its Audible title/authors/series/ISBN change."""


class ResolveConflictsConfig(dg.Config):
    model_config = _DOCUMENTED

    decisions: list[ConflictDecision]
    """Applied all or nothing: one bad entry (named by its position) and nothing changes."""
    resolved_by: str | None = None
    """Who decided (default: the run's user, else the operating-system user); at most 120 characters."""


class AddBooksConfig(dg.Config):
    """Which unmatched titles become tracker books: all, or the ASINs listed; min_progress narrows either."""

    model_config = _DOCUMENTED

    all: bool = False
    """Every unmapped title without an open conflict and not ignored."""
    asins: list[str] = []
    """These titles (10 letters or digits, any case); a title in a conflict is then added too."""
    min_progress: float | None = None
    """Only titles listened to at least this percent (0-100); finished titles always qualify."""
    dry_run: bool = False
    """List what would be created, write nothing."""
    account: str | None = None
    """Audible account; empty means the only configured one."""
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
    """Turn a ReviewError or a database error (raised before or inside the transaction, which then
    rolls back) into a Failure of one line."""

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ReviewError as error:
            raise _refuse(str(error)) from None
        except sa.exc.DBAPIError as error:
            cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
            raise _refuse(f"database error: {cause}") from None

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
    with postgres.get_engine().begin() as conn:
        outcome = resolutions.resolve_conflict(conn, config.conflict_id, decision, by=by)
    _report(context, postgres, {"message": outcome.message}, outcome.progress)


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


# --- resolve_audible_conflicts --------------------------------------------------------------


@_guard
def _resolve_many(context: dg.OpExecutionContext, config: ResolveConflictsConfig, postgres: PostgresResource):
    planned = decisions_from_config(
        [
            {**decision.model_dump(), "book_data": _book_data(decision.book_data)}
            for decision in config.decisions
        ]
    )
    by = _who(context, config.resolved_by)
    with postgres.get_engine().begin() as conn:
        outcomes, progress = resolutions.resolve_conflicts(conn, planned, by=by)
    counts = count_by(outcome.kind for outcome in outcomes)
    message = (
        f"{len(outcomes)} conflict(s) resolved by {by}: {counts.get('link', 0)} linked, "
        f"{counts.get('create', 0)} added as new books, {counts.get('ignore', 0)} ignored"
    )
    context.add_output_metadata(
        {
            "decisions": dg.MetadataValue.md(
                markdown_table(
                    [
                        {
                            "conflict_id": o.conflict_id,
                            "asin": o.asin,
                            "title": o.title,
                            "decision": o.kind,
                            "book_id": o.book_id,
                        }
                        for o in outcomes
                    ]
                )
            )
        }
    )
    _report(context, postgres, {"message": message}, progress)


@dg.op(name="resolve_conflicts", description="Apply a list of conflict decisions, all or nothing.")
def resolve_audible_conflicts_op(
    context: dg.OpExecutionContext, config: ResolveConflictsConfig, postgres: PostgresResource
) -> None:
    _resolve_many(context, config, postgres)


@dg.job(
    name=BATCH_JOB,
    executor_def=dg.in_process_executor,
    description=(
        "Resolve many open conflicts in one run, all or nothing: paste the run_config of the "
        "unresolved_conflicts check (it lists every open conflict) and edit what you disagree with. "
        "Config: ops.resolve_conflicts.config.decisions: [{conflict_id, and one of book_id | "
        "create_new (+ book_data) | ignore}]."
    ),
)
def resolve_audible_conflicts_job():
    resolve_audible_conflicts_op()


# --- add_audible_books_to_tracker -----------------------------------------------------------


@_guard
def _add_books(context: dg.OpExecutionContext, config: AddBooksConfig, postgres: PostgresResource):
    by = _who(context, config.resolved_by)
    with postgres.get_engine().begin() as conn:
        account = _account(conn, config.account)
        added = resolutions.add_missing(
            conn,
            account,
            asins=config.asins,
            take_all=config.all,
            min_progress=config.min_progress,
            dry_run=config.dry_run,
            by=by,
        )
    rows = added.rows()
    verb = "would add" if config.dry_run else "added"
    message = f"Account {account!r}: {verb} {len(rows)} book(s) to the tracker" + (
        " (dry run: nothing was written)" if config.dry_run else f" by {by}"
    )
    if added.below_threshold:
        message += f"; {len(added.below_threshold)} title(s) below min_progress left out"
    context.add_output_metadata(
        {"books": dg.MetadataValue.md(markdown_table(rows)), "dry_run": config.dry_run}
    )
    _report(context, postgres, {"message": message}, added.progress)


@dg.op(name="add_books_to_tracker", description="Create tracker books for unmatched Audible titles.")
def add_audible_books_to_tracker_op(
    context: dg.OpExecutionContext, config: AddBooksConfig, postgres: PostgresResource
) -> None:
    _add_books(context, config, postgres)


@dg.job(
    name="add_audible_books_to_tracker",
    executor_def=dg.in_process_executor,
    description=(
        "Create tracker books (title without Audible's edition tags, authors, ISBN, status and dates from "
        "progress) with confirmed mappings for unmatched titles, in one transaction. Config: "
        "ops.add_books_to_tracker.config.{all | asins: [...], min_progress, dry_run, account}."
    ),
)
def add_audible_books_to_tracker_job():
    add_audible_books_to_tracker_op()


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
        outcome = resolutions.decide_title(conn, account, asin, decision, by=by)
    message = f"{outcome.title!r} ({asin}, account {account!r}) linked to book {outcome.book_id} by {by}"
    if decision.kind == "create":
        message += " (new book)"
    if outcome.replaced:
        message += f"; replaced automatic mapping(s) to book(s) {', '.join(str(r['book_id']) for r in outcome.replaced)}"
    if outcome.conflict_id is not None:
        message += f"; resolved conflict {outcome.conflict_id}"
    _report(context, postgres, {"message": message}, outcome.progress)


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
                ignored = cq.record_ignored(
                    conn,
                    account,
                    asin,
                    fingerprint=resolutions.ignore_fingerprint(item),
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
            progress = progress_sql.apply_current_progress(conn, account, [asin])
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
    resolve_audible_conflicts_job,
    add_audible_books_to_tracker_job,
    link_audible_book_job,
    unlink_audible_book_job,
    set_audible_mapping_sync_job,
]
