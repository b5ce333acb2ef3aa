"""One automatic edition per book and account."""

from __future__ import annotations

from domain.edition_guard import ANOTHER_EDITION, one_automatic_edition_per_book


def linked(asin, book_id, confidence=0.95, method="fuzzy"):
    return {
        "asin": asin,
        "decision": "linked",
        "book_id": book_id,
        "method": method,
        "confidence": confidence,
        "candidates": [{"book_id": book_id, "score": confidence}],
        "reason": "",
    }


def test_a_second_edition_of_a_linked_book_becomes_a_conflict():
    rows = [linked("B0DRAMATIS", 7), linked("B0OTHERBOK", 8)]
    guarded = one_automatic_edition_per_book(rows, {7: "B0PROSEEDN"})
    assert guarded[0]["decision"] == "conflict" and guarded[0]["book_id"] is None
    assert guarded[0]["reason"].startswith(ANOTHER_EDITION) and "B0PROSEEDN" in guarded[0]["reason"]
    assert guarded[0]["candidates"] == rows[0]["candidates"]
    assert guarded[1] == rows[1]


def test_two_editions_in_one_sync_the_strongest_links_and_the_other_asks():
    rows = [linked("B0000000B2", 5, 0.93), linked("B0000000A1", 5, 1.0, "isbn"), linked("B0000000C3", 5, 1.0)]
    guarded = {r["asin"]: r for r in one_automatic_edition_per_book(rows, {})}
    assert guarded["B0000000A1"]["decision"] == "linked"
    assert guarded["B0000000B2"]["decision"] == "conflict" and guarded["B0000000C3"]["decision"] == "conflict"
    assert "B0000000A1" in guarded["B0000000C3"]["reason"]
    # The same rows in another order decide the same.
    assert {r["asin"]: r["decision"] for r in one_automatic_edition_per_book(rows[::-1], {})} == {
        a: r["decision"] for a, r in guarded.items()
    }


def test_conflicts_and_unmatched_pass_through():
    rows = [{"asin": "B0000000D4", "decision": "conflict", "book_id": None, "confidence": 0.7, "reason": "x"}]
    assert one_automatic_edition_per_book(rows, {None: "B0X"}) == rows
