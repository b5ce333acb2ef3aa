"""Stage 2: decide, for each unmapped Audible title, which tracker book it is."""

import dagster as dg
import sqlalchemy as sa

from assets.metadata import as_metadata
from domain.edition_guard import one_automatic_edition_per_book
from domain.matching import BookIndex, MatchSettings, TrackerBook
from domain.parallel_matching import match_all_parallel
from domain.reports import count_by
from domain.sync_reports import matches_report, matching_summary
from domain.sync_results import (
    LibrarySnapshot,
    MatchResults,
    MatchSelection,
    decision_records,
    match_fingerprint,
    matcher_digest,
    still_to_match,
    unmapped_open_questions,
)
from resources.postgres_resource import PostgresResource
from resources.queries import books as books_sql
from resources.queries import conflicts as conflicts_sql
from resources.queries import mappings as mappings_sql
from resources.queries import match_memo
from resources.sync_log import SyncLogResource


def _select_titles(
    conn: sa.Connection, snapshot: LibrarySnapshot, settings: MatchSettings, fingerprints: dict[str, str]
) -> tuple[MatchSelection, str | None]:
    """The titles to match now, and the basis their decisions are made on (None: nothing to match)."""
    account = snapshot.account
    selection = unmapped_open_questions(
        snapshot.items,
        fingerprints,
        mappings_sql.mapped_asins(conn, account),
        conflicts_sql.ignored_fingerprints(conn, account),
    )
    if not selection.open_questions:
        return selection, None
    # Decisions made against these same books by this same matcher still stand.
    basis = f"{match_memo.books_digest(conn)}:{matcher_digest(settings)}"
    return still_to_match(selection, fingerprints, match_memo.standing_decisions(conn, account, basis)), basis


def _one_automatic_edition_per_book(
    postgres: PostgresResource, account: str, records: list[dict]
) -> list[dict]:
    """Links onto books another edition is already (or also) linked to become conflicts."""
    linked_ids = {record["book_id"] for record in records if record["decision"] == "linked"}
    if not linked_ids:
        return records
    with postgres.get_engine().connect() as conn:
        already_linked = mappings_sql.linked_books(conn, account, linked_ids)
    return one_automatic_edition_per_book(records, already_linked)


@dg.asset(group_name="audible", kinds={"python"})
def audible_book_matches(
    context: dg.AssetExecutionContext,
    audible_library: LibrarySnapshot,
    postgres: PostgresResource,
    sync_log: SyncLogResource,
) -> dg.Output[MatchResults]:
    """Match decisions (linked / conflict / unmatched) for library titles without a mapping.

    Titles already mapped are not matched again, so a confirmed or manual
    mapping is never overridden; titles a person chose to ignore are skipped
    until what they were matched on changes. A title left unmapped by an earlier
    sync is matched again only when it, the tracker's books or the matcher changed.
    """
    sync_log.hold(audible_library.sync_log_id)
    settings = MatchSettings()
    fingerprints = {item.asin: match_fingerprint(item) for item in audible_library.items}
    with postgres.get_engine().connect() as conn:
        selection, basis = _select_titles(conn, audible_library, settings, fingerprints)
        # The books are read (and indexed) only when there is something to match.
        books = [TrackerBook(*row) for row in books_sql.tracker_books(conn)] if selection.to_match else []
    # A large batch is decided on every idle core; forked workers never touch the pooled connection.
    decisions = (
        match_all_parallel(BookIndex(books, settings), selection.to_match) if selection.to_match else []
    )
    records = decision_records(decisions, {book.id: book for book in books}, fingerprints)
    records = _one_automatic_edition_per_book(postgres, audible_library.account, records)
    counts = count_by(record["decision"] for record in records)
    context.log.info(matching_summary(len(selection.to_match), len(books), counts))
    results = MatchResults(
        account=audible_library.account,
        sync_log_id=audible_library.sync_log_id,
        decisions=tuple(records),
        already_mapped=len(audible_library.items) - len(selection.unmapped),
        ignored=len(selection.unmapped) - len(selection.open_questions),
        books_in_tracker=len(books),
        counts=counts,
        unchanged=len(selection.open_questions) - len(selection.to_match),
        match_basis=basis,
    )
    titles = {item.asin: item.title for item in selection.to_match}
    return dg.Output(results, metadata=as_metadata(matches_report(results, titles)))
