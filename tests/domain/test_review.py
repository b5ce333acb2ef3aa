"""Pure conflict-review logic: config validation, account choice, the review table, cursors, completions."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pytest
import yaml

from domain.review import (
    NewBook,
    ReviewError,
    choose_account,
    completions,
    conflicts_state,
    conflicts_table,
    example_run_config,
    resolution_from_config,
    review_summary,
)

HOBBIT = {
    "id": 7,
    "account": "demo",
    "asin": "B007978NPG",
    "title": "The Hobbit",
    "authors": "J.R.R. Tolkien",
    "candidates": [
        {"book_id": 4, "score": 1.0, "title": "The Hobbit", "author": "J. R. R. Tolkien"},
        {"book_id": 5, "score": 0.98, "title": "The Hobbit", "author": "Tolkien, J.R.R."},
        {"book_id": 32, "score": 0.4, "title": "The Silmarillion", "author": "J.R.R. Tolkien"},
        {"book_id": 33, "score": 0.1, "title": "Other | piped", "author": None},
    ],
    "reason": "ambiguous",
    "updated_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
}


def test_exactly_one_decision_is_required():
    assert resolution_from_config(book_id=4, create_new=False, book_data=None).kind == "link"
    assert (
        resolution_from_config(book_id=None, create_new=False, book_data=None, ignore=True).kind == "ignore"
    )
    created = resolution_from_config(
        book_id=None, create_new=True, book_data={"title": "  Fourth   Wing ", "author": "Rebecca Yarros"}
    )
    assert created.book == NewBook("Fourth Wing", "Rebecca Yarros", None, "to_read")
    assert created.conflict_resolution == "created" and created.match_method == "created"
    with pytest.raises(ReviewError, match="got none"):
        resolution_from_config(book_id=None, create_new=False, book_data=None)
    with pytest.raises(ReviewError, match="got book_id and ignore"):
        resolution_from_config(book_id=4, create_new=False, book_data=None, ignore=True)
    with pytest.raises(ReviewError, match="only used with create_new"):
        resolution_from_config(book_id=4, create_new=False, book_data={"title": "x"})
    with pytest.raises(ReviewError, match="exactly one of book_id or create_new"):
        resolution_from_config(
            book_id=None, create_new=False, book_data=None, ignore=True, allow_ignore=False
        )


@pytest.mark.parametrize(
    ("book_data", "message"),
    [
        (None, "needs book_data"),
        ({"title": "   "}, "title is empty"),
        ({"title": "x", "status": "read"}, "must be one of"),
        ({"title": "x", "isbn": "978-0-00-000000-1"}, "not a valid ISBN"),
        ({"title": "x", "pages": 3}, "unknown field"),
    ],
)
def test_book_data_is_validated(book_data, message):
    with pytest.raises(ReviewError, match=message):
        resolution_from_config(book_id=None, create_new=True, book_data=book_data)


def test_a_valid_isbn_is_kept_as_written():
    decision = resolution_from_config(
        book_id=None, create_new=True, book_data={"title": "x", "isbn": "0-7653-2635-3", "status": "reading"}
    )
    assert decision.book.isbn == "0-7653-2635-3" and decision.book.status == "reading"


def test_account_defaults_like_the_sync():
    assert choose_account(None, ["demo", "me"], ["me"]) == "me"
    assert choose_account(None, ["demo"], []) == "demo"
    assert choose_account("demo", ["demo", "me"], ["me"]) == "demo"
    with pytest.raises(ReviewError, match="several Audible accounts \\(a, b\\)"):
        choose_account(None, ["a", "b"], ["a", "b"])
    with pytest.raises(ReviewError, match="no Audible account 'x'"):
        choose_account("x", ["demo"], [])
    with pytest.raises(ReviewError, match="run the audible_sync job first"):
        choose_account(None, [], [])


def test_table_shows_top_candidates_on_one_line_each():
    table = conflicts_table([HOBBIT])
    assert "#4 The Hobbit — J. R. R. Tolkien (1.00); #5 The Hobbit — Tolkien, J.R.R. (0.98)" in table
    assert "#32 The Silmarillion" in table and "#33" not in table  # top three only
    assert len(table.splitlines()) == 3


def test_example_run_config_is_valid_for_the_job():
    from pipelines.conflict_jobs import resolve_audible_conflict_job

    text = example_run_config(HOBBIT)
    config = yaml.safe_load(text)
    assert config == {"ops": {"resolve_conflict": {"config": {"conflict_id": 7, "book_id": 4}}}}
    assert dg.validate_run_config(resolve_audible_conflict_job, config)
    without_candidates = yaml.safe_load(example_run_config({**HOBBIT, "candidates": [], "title": 'Say "hi"'}))
    settings = without_candidates["ops"]["resolve_conflict"]["config"]
    assert settings["create_new"] is True and settings["book_data"]["title"] == 'Say "hi"'


def test_summary_passes_only_without_conflicts():
    assert review_summary([])["passed"] is True
    summary = review_summary([HOBBIT, {**HOBBIT, "id": 8, "account": "me"}])
    assert summary["passed"] is False and summary["by_account"] == {"demo": 1, "me": 1}


def test_state_changes_with_the_set_and_with_updates_only():
    base = conflicts_state([HOBBIT])
    assert conflicts_state([HOBBIT]) == base
    assert conflicts_state([]) != base
    assert conflicts_state([{**HOBBIT, "updated_at": datetime(2026, 1, 2, tzinfo=timezone.utc)}]) != base


def test_completions_skip_first_sight_and_already_finished():
    changes = [
        {
            "asin": "a",
            "book_id": 1,
            "title": "A",
            "old_percent": 90,
            "was_finished": False,
            "is_finished": True,
        },
        {
            "asin": "b",
            "book_id": 2,
            "title": "B",
            "old_percent": None,
            "was_finished": False,
            "is_finished": True,
        },
        {
            "asin": "c",
            "book_id": 3,
            "title": "C",
            "old_percent": 100,
            "was_finished": True,
            "is_finished": True,
        },
        {
            "asin": "d",
            "book_id": 4,
            "title": "D",
            "old_percent": 10,
            "was_finished": False,
            "is_finished": False,
        },
    ]
    assert [c["asin"] for c in completions(changes)] == ["a"]


def test_a_typed_asin_is_compared_in_upper_case():
    from domain.review import clean_asin

    assert clean_asin("  b07qwlcs4f ") == "B07QWLCS4F"
