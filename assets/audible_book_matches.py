"""Stage 2: decide, for each unmapped Audible title, which tracker book it is."""

import hashlib
from functools import lru_cache
from pathlib import Path

import dagster as dg

from domain import match_scoring, matching, normalize
from domain.matching import BookIndex, MatchSettings, TrackerBook
from domain.reports import count_by, markdown_table
from domain.sync_results import LibrarySnapshot, MatchResults, match_fingerprint
from resources.postgres import PostgresResource
from resources.queries import match_memo
from resources.queries import sync as q


@lru_cache(maxsize=8)
def matcher_digest(settings: MatchSettings) -> str:
    """Changes whenever the matcher could decide differently: its code or its settings."""
    digest = hashlib.sha256(repr(settings).encode())
    for module in (matching, match_scoring, normalize):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def decisions_to_rows(decisions, books_by_id, fingerprints) -> list[dict]:
    """Decision records for the write stage, candidates named so people can read the conflict."""
    rows = []
    for decision in decisions:
        row = decision.to_json()
        row["book_id"] = decision.book_id
        row["method"] = decision.method
        row["reason"] = decision.reason
        row["fingerprint"] = fingerprints[decision.asin]
        row["candidates"] = [
            {
                "book_id": c.book_id,
                "score": c.score,
                "title": books_by_id[c.book_id].title,
                "author": books_by_id[c.book_id].author,
            }
            for c in decision.candidates
        ]
        rows.append(row)
    return rows


@dg.asset(group_name="audible", kinds={"python"})
def audible_book_matches(
    context: dg.AssetExecutionContext, audible_library: LibrarySnapshot, postgres: PostgresResource
) -> dg.Output[MatchResults]:
    """Match decisions (linked / conflict / unmatched) for library titles without a mapping.

    Titles already mapped are not matched again, so a confirmed or manual
    mapping is never overridden; titles a person chose to ignore are skipped
    until what they were matched on changes. A title left unmapped by an earlier
    sync is matched again only when it, the tracker's books or the matcher changed.
    """
    account = audible_library.account
    settings = MatchSettings()
    fingerprints = {item.asin: match_fingerprint(item) for item in audible_library.items}
    with postgres.get_engine().connect() as conn:
        mapped = q.mapped_asins(conn, account)
        ignored = q.ignored_fingerprints(conn, account)
        unmapped = [item for item in audible_library.items if item.asin not in mapped]
        not_ignored = [item for item in unmapped if ignored.get(item.asin) != fingerprints[item.asin]]
        # Decisions made against these same books by this same matcher still stand.
        basis = f"{match_memo.books_digest(conn)}:{matcher_digest(settings)}" if not_ignored else None
        standing = match_memo.standing_decisions(conn, account, basis) if basis else {}
        to_match = [item for item in not_ignored if standing.get(item.asin) != fingerprints[item.asin]]
        # The books are read (and indexed) only when there is something to match.
        books = [TrackerBook(*row) for row in q.tracker_books(conn)] if to_match else []
    skipped_ignored = len(unmapped) - len(not_ignored)
    decisions = BookIndex(books, settings).match_all(to_match) if to_match else []
    books_by_id = {book.id: book for book in books}
    rows = decisions_to_rows(decisions, books_by_id, fingerprints)
    counts = count_by(row["decision"] for row in rows)
    titles = {item.asin: item.title for item in to_match}
    context.log.info(
        f"Matched {len(to_match)} unmapped titles against {len(books)} tracker books: "
        + (", ".join(f"{n} {d}" for d, n in sorted(counts.items())) or "nothing to do")
    )
    results = MatchResults(
        account=account,
        decisions=tuple(rows),
        already_mapped=len(audible_library.items) - len(unmapped),
        ignored=skipped_ignored,
        books_in_tracker=len(books),
        counts=counts,
        unchanged=len(not_ignored) - len(to_match),
        match_basis=basis,
    )
    uncertain = [
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
        for r in rows
        if r["decision"] != "linked"
    ]
    return dg.Output(
        results,
        metadata={
            "matched_now": dg.MetadataValue.int(len(rows)),
            "linked": dg.MetadataValue.int(counts.get("linked", 0)),
            "conflicts": dg.MetadataValue.int(counts.get("conflict", 0)),
            "unmatched": dg.MetadataValue.int(counts.get("unmatched", 0)),
            "already_mapped": dg.MetadataValue.int(results.already_mapped),
            "ignored_by_a_person": dg.MetadataValue.int(skipped_ignored),
            "unchanged_since_last_match": dg.MetadataValue.int(results.unchanged),
            "tracker_books_read": dg.MetadataValue.int(len(books)),
            "not_linked": dg.MetadataValue.md(markdown_table(uncertain)),
        },
    )
