"""One book, one automatic edition per account.

An audiobook often exists in several editions (the prose reading and a full-cast dramatisation,
abridged and unabridged, two parts): each may match the same tracker book. Linked silently, the
edition the reader is not listening to moves the book too (a finished dramatisation marks a book
the reader is 40 % into as finished). So an automatic link onto a book that already has an
enabled mapping from the same account, or that another title of the same sync also links,
becomes a conflict; a person may still link several editions on purpose (confirmed mappings).
Pure: applied to the matcher's decision records, after matching.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ANOTHER_EDITION = "another Audible edition is already linked to this book"


def _strength(row: Mapping[str, Any]) -> tuple:
    """Among links to one book in the same sync the strongest keeps it (ties: ISBN, then ASIN order)."""
    return (-float(row["confidence"]), row.get("method") != "isbn", row["asin"])


def one_automatic_edition_per_book(
    rows: Sequence[dict[str, Any]], linked_books: Mapping[Any, str]
) -> list[dict[str, Any]]:
    """Decision records with every second automatic edition of a book turned into a conflict.

    ``linked_books``: book id → an ASIN already linked to it (enabled) from the same account.
    """
    claims: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        if row["decision"] == "linked":
            claims.setdefault(row["book_id"], []).append(row)
    keeper = {
        book_id: min(claimants, key=_strength)["asin"]
        for book_id, claimants in claims.items()
        if book_id not in linked_books
    }
    guarded = []
    for row in rows:
        book_id = row.get("book_id")
        if row["decision"] == "linked" and keeper.get(book_id) != row["asin"]:
            other = linked_books.get(book_id) or keeper[book_id]
            row = {
                **row,
                "decision": "conflict",
                "book_id": None,
                "reason": f"{ANOTHER_EDITION} (book {book_id} has {other}); link it too only if both "
                "editions should move this book",
            }
        guarded.append(row)
    return guarded
