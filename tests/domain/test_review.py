"""Pure conflict-review logic: config validation, the review table, cursors, completions."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pytest
import yaml

from domain.new_books import NewBook
from domain.review import (
    CHOICE,
    DIFFERENT,
    DOUBT,
    Answer,
    ReviewError,
    batch_run_config,
    candidate_why,
    completions,
    conflicts_state,
    conflicts_table,
    decisions_from_config,
    parse_answer,
    rank_search_results,
    reason_kind,
    resolution_from_config,
    review_summary,
    suggested_resolution,
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


def test_table_shows_top_candidates_on_one_line_each():
    table = conflicts_table([HOBBIT])
    assert "#4 The Hobbit — J. R. R. Tolkien (1.00); #5 The Hobbit — Tolkien, J.R.R. (0.98)" in table
    assert "#32 The Silmarillion" in table and "#33" not in table  # top three only
    assert len(table.splitlines()) == 3


def test_create_new_without_book_data_takes_the_book_from_the_audible_title():
    decision = resolution_from_config(book_id=None, create_new=True, book_data=None)
    assert decision.kind == "create" and decision.book is None


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


# --- the batch run config ---------------------------------------------------------------------


def _conflict(conflict_id, reason, candidates, percent=0.0, finished=False, title="A Title"):
    return {
        "id": conflict_id,
        "account": "demo",
        "asin": f"B00000000{conflict_id}",
        "title": title,
        "authors": "Some One",
        "reason": reason,
        "percent_complete": percent,
        "is_finished": finished,
        "candidates": candidates,
    }


MAHABHARATA_1 = {"book_id": 13, "score": 0.75, "title": "The Mahabharata, Vol. 1", "author": "Bibek Debroy"}
OTHER_EMPATHY = {"book_id": 25, "score": 0.6, "title": "Empathy", "author": "Roman Krznaric"}


def test_the_batch_config_links_only_where_the_engine_chose_between_plausible_books():
    from pipelines.conflict_jobs import resolve_audible_conflicts_job

    conflicts = [
        HOBBIT | {"reason": "ambiguous: 'The Hobbit' (1.00) and 'The Hobbit' (0.98) are within 0.05"},
        _conflict(
            8,
            "volume mismatch: the audiobook is volume 9, 'The Mahabharata, Vol. 1' is volume 1",
            [MAHABHARATA_1],
        ),
        _conflict(
            9,
            "different author: the audiobook is by HBR, the closest book is 'Empathy'",
            [OTHER_EMPATHY],
            percent=40.0,
        ),
        _conflict(
            10, "low confidence: best candidate 'X' scores 0.70 (needs 0.90)", [OTHER_EMPATHY], finished=True
        ),
        _conflict(
            11, "ISBN check: ISBN 9780143105510 matches 'The Snows' but the titles differ", [OTHER_EMPATHY]
        ),
        _conflict(
            12, "adaptation: a full-cast dramatisation of 'Norse Mythology'", [OTHER_EMPATHY], percent=5.0
        ),
    ]
    text = batch_run_config(conflicts)
    assert "```" not in text and not text.startswith("Resolve")
    config = yaml.safe_load(text)
    assert dg.validate_run_config(resolve_audible_conflicts_job, config)
    decisions = config["ops"]["resolve_conflicts"]["config"]["decisions"]
    assert decisions == [
        {"conflict_id": 7, "book_id": 4},
        {"conflict_id": 8, "ignore": True},  # another volume, not started: left unmapped
        {"conflict_id": 9, "create_new": True},  # another author's book, started: added
        {"conflict_id": 10, "ignore": True},  # in doubt: a person has to look
        {"conflict_id": 11, "ignore": True},
        {"conflict_id": 12, "ignore": True},  # an adaptation may be the reader's book: a person decides
    ]
    # Every alternative is there to uncomment, the engine's objection spelled out.
    assert "# book_id: 5  # The Hobbit — Tolkien, J.R.R. (0.98)" in text
    assert (
        "# book_id: 13  # The Mahabharata, Vol. 1 — Bibek Debroy (0.75) — the engine says another work"
        in text
    )
    assert text.count("# create_new: true") == 5 and text.count("# ignore: true") == 2


def test_an_unchanged_paste_never_links_a_book_the_engine_argued_against():
    for reason in ("different author: x", "volume mismatch: x", "part mismatch: x", "companion work: x",
                   "omnibus vs single volume: x", "low confidence: x", "no author to confirm a one-word title: x",
                   "something new: x"):  # fmt: skip
        for percent in (0.0, 50.0):
            assert suggested_resolution(_conflict(1, reason, [OTHER_EMPATHY], percent=percent)).kind != "link"
    assert reason_kind("ambiguous: ISBN 978 is on 2 tracker books") == CHOICE
    assert reason_kind("different author: x") == DIFFERENT and reason_kind("low confidence: y") == DOUBT
    # A number on one side only, or a collection, may still be the reader's book.
    assert (
        reason_kind("volume mismatch: the audiobook is volume 1, 'Fry's English Delight' is no volume number")
        == DOUBT
    )
    assert reason_kind("omnibus vs single volume: the audiobook is an omnibus/collection") == DOUBT
    # Nothing to choose from: no link either.
    assert suggested_resolution(_conflict(1, "ambiguous: x", [])).kind == "ignore"


def test_titles_with_odd_characters_stay_comments():
    text = batch_run_config(
        [_conflict(3, "ambiguous: a\nb", [HOBBIT["candidates"][0]], title='Say "hi": #1 | a\nb')]
    )
    config = yaml.safe_load(text)
    assert config["ops"]["resolve_conflicts"]["config"]["decisions"] == [{"conflict_id": 3, "book_id": 4}]


def test_batch_decisions_are_checked_before_anything_with_their_position_and_field():
    planned = decisions_from_config(
        [
            {"conflict_id": 1, "book_id": 4},
            {"conflict_id": 2, "create_new": True},
            {"conflict_id": 3, "ignore": True},
        ]
    )
    assert [(p.position, p.conflict_id, p.resolution.kind) for p in planned] == [
        (1, 1, "link"),
        (2, 2, "create"),
        (3, 3, "ignore"),
    ]
    with pytest.raises(ReviewError) as error:
        decisions_from_config(
            [
                {"conflict_id": 1, "book_id": 4},
                {"conflict_id": 2, "book_id": 4, "ignore": True},
                {"conflict_id": 1, "ignore": True},
                {"conflict_id": 4, "create_new": True, "book_data": {"title": "x", "isbn": "123"}},
            ]
        )
    message = str(error.value)
    assert (
        "decision #2 (conflict_id 2): give exactly one of book_id, create_new or ignore; got book_id and ignore"
        in message
    )
    assert "decision #3 (conflict_id 1): conflict_id repeats decision #1" in message
    assert "decision #4 (conflict_id 4): book_data.isbn '123' is not a valid ISBN" in message
    with pytest.raises(ReviewError, match="decisions is empty"):
        decisions_from_config([])


# --- the review's answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", Answer("pick", number=2)),
        (" c ", Answer("create")),
        ("I", Answer("ignore")),
        ("s", Answer("skip")),
        ("u", Answer("undo")),
        ("q", Answer("quit")),
        ("?", Answer("help")),
        ("/hobbit  tolkien", Answer("search", words="hobbit  tolkien")),
        ("#42", Answer("book", number=42)),
    ],
)
def test_answers_are_one_key_or_a_search_or_a_book_id(text, expected):
    assert parse_answer(text, choices=3) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "type one of"),
        ("4", "no candidate 4 (candidates: 1-3)"),
        ("0", "no candidate 0"),
        ("/", "type the words to search"),
        ("#x", "give a tracker book id"),
        ("#0", "give a tracker book id"),
        ("link", "'link' is not an answer"),
    ],
)
def test_a_wrong_answer_says_what_is_expected(text, problem):
    answer = parse_answer(text, choices=3)
    assert answer.action == "invalid" and problem in answer.problem


def test_without_candidates_a_number_points_to_search():
    assert "search with /words" in parse_answer("1", choices=0).problem


def test_each_candidate_says_why_in_the_engines_words():
    mahabharata = {"title": "Mahabharata Vol 9", "authors": "Bibek Debroy", "series_title": "The Mahabharata"}
    # Asked about one book alone, another volume or another author is not similar enough to link.
    assert candidate_why(mahabharata, "The Mahabharata, Vol. 1", "Debroy, Bibek") == "not similar enough"
    empathy = {"title": "Empathy", "authors": "Harvard Business Review"}
    assert candidate_why(empathy, "Empathy", "Roman Krznaric") == "not similar enough"
    hobbit = {"title": "The Hobbit", "authors": "J.R.R. Tolkien"}
    # Asked about one book at a time: two equal books are each a match, never "ambiguous".
    assert candidate_why(hobbit, "The Hobbit", "Tolkien, J.R.R.") == "title and author match"
    assert candidate_why(hobbit, "The Silmarillion", "J.R.R. Tolkien") == "not similar enough"
    lupin = {"title": "Arsene Lupin [Classic Tales Edition]", "authors": "Maurice Leblanc"}
    assert candidate_why(lupin, "Arsène Lupin, Gentleman Burglar", "Maurice Leblanc") == "low confidence"


def test_search_results_rank_title_and_author_against_the_words():
    rows = [
        {"id": 1, "title": "The Silmarillion", "author": "J.R.R. Tolkien"},
        {"id": 2, "title": "The Hobbit", "author": "J.R.R. Tolkien"},
        {"id": 3, "title": "Hobbit Houses", "author": "Someone Else"},
    ]
    ranked = rank_search_results("hobbit tolkien", rows)
    assert [(r["book_id"], r["score"]) for r in ranked] == [(2, 1.0), (1, 0.667), (3, 0.6)]
    assert len(rank_search_results("x", rows * 5, limit=9)) == 9


def test_a_typed_asin_is_compared_in_upper_case():
    from domain.review import clean_asin

    assert clean_asin("  b07qwlcs4f ") == "B07QWLCS4F"
