"""Counts in log lines read as English: one conflict, two conflicts."""

from __future__ import annotations

from domain.reports import counted, decision_counts


def test_a_count_takes_its_noun_in_the_right_number():
    assert counted(1, "conflict") == "1 conflict"
    assert counted(2, "conflict") == "2 conflicts"
    assert counted(0, "history row") == "0 history rows"
    assert counted(1200, "title") == "1,200 titles"


def test_decision_counts_are_in_a_fixed_order_with_plural_conflicts():
    assert (
        decision_counts({"unmatched": 1, "conflict": 2, "linked": 27})
        == "27 linked, 2 conflicts, 1 unmatched"
    )
    assert decision_counts({"conflict": 1}) == "1 conflict"
    assert decision_counts({}) == ""
