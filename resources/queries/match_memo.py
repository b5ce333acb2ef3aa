"""SQL of the match memo: skip matching items whose last decision still stands.

An item that stayed unmapped (conflict or unmatched) is matched again only when
its match fingerprint, the tracker's books (id, title, author, isbn) or the
matcher changed. ``match_basis`` joins the last two into one string.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# Every column the matcher reads, NULLs kept apart from empty strings. Each book's row (its id
# included, so no two rows are alike) is hashed to 64 bits and the hashes are XOR-ed: one pass
# over the books with no sort and no string of every title built, and the same digest whatever
# order the rows are read in. The count is part of it as well.
_BOOKS_DIGEST = sa.text(
    "SELECT count(*) || ':' || coalesce(bit_xor(hashtextextended(concat_ws(E'\\x1f', id, "
    "quote_nullable(title), quote_nullable(author), quote_nullable(isbn)), 0)), 0) FROM books"
)


def books_digest(conn: sa.Connection) -> str:
    """A digest of what matching reads from the tracker's books (one pass on the server)."""
    return conn.execute(_BOOKS_DIGEST).scalar_one()


def standing_decisions(conn: sa.Connection, account: str, match_basis: str) -> dict[str, str]:
    """ASIN -> item fingerprint of decisions made on ``match_basis`` that still stand.

    An unmatched decision stands as it is; a conflict only while it is still open
    (a person may have resolved or removed it since).
    """
    rows = conn.execute(
        sa.text(
            "SELECT m.asin, m.item_fingerprint FROM audible_match_memo m "
            "WHERE m.account = :a AND m.match_basis = :basis "
            "AND (m.decision = 'unmatched' OR EXISTS (SELECT 1 FROM audible_conflicts x "
            "     WHERE x.account = m.account AND x.asin = m.asin AND NOT x.resolved))"
        ),
        {"a": account, "basis": match_basis},
    )
    return {row.asin: row.item_fingerprint for row in rows}


def remember_decisions(conn: sa.Connection, account: str, match_basis: str | None) -> dict[str, Any]:
    """Record this sync's decisions (staged in tmp_decisions) for the next sync; rows that
    did not change are not written. Linked items leave the memo: they have a mapping now."""
    if match_basis is None:
        return {"remembered": 0, "forgotten": 0}
    remembered = conn.execute(
        sa.text(
            "INSERT INTO audible_match_memo AS m (account, asin, item_fingerprint, match_basis, decision) "
            "SELECT :a, d.asin, d.fingerprint, :basis, d.decision FROM tmp_decisions d "
            "WHERE d.decision IN ('conflict', 'unmatched') AND d.fingerprint IS NOT NULL "
            "ON CONFLICT (account, asin) DO UPDATE SET item_fingerprint = EXCLUDED.item_fingerprint, "
            "match_basis = EXCLUDED.match_basis, decision = EXCLUDED.decision, decided_at = now() "
            "WHERE (m.item_fingerprint, m.match_basis, m.decision) IS DISTINCT FROM "
            "      (EXCLUDED.item_fingerprint, EXCLUDED.match_basis, EXCLUDED.decision)"
        ),
        {"a": account, "basis": match_basis},
    ).rowcount
    forgotten = conn.execute(
        sa.text(
            "DELETE FROM audible_match_memo m USING tmp_decisions d "
            "WHERE m.account = :a AND m.asin = d.asin AND d.decision = 'linked'"
        ),
        {"a": account},
    ).rowcount
    return {"remembered": remembered, "forgotten": forgotten}
