"""The named pieces of one comparison: similarities, guards and penalties, one by one."""

from __future__ import annotations

import pytest

from domain.match_scoring import (
    AuthorAgreement,
    Guard,
    Penalties,
    author_agreement,
    compare,
    side,
    structural_guards,
    title_similarity,
)
from domain.normalize import parse_title, split_item_authors, split_tracker_authors


def item_side(title: str, subtitle: str | None = None, authors: str | None = None, **series):
    people = split_item_authors(authors)
    return side(parse_title(title, subtitle, authors=tuple(p.key for p in people), **series), people)


def book_side(title: str, author: str | None = None):
    people = split_tracker_authors(author)
    return side(parse_title(title, authors=tuple(p.key for p in people)), people)


def test_equal_main_titles_are_fully_similar_and_say_so() -> None:
    assert title_similarity(item_side("The Hobbit (Unabridged)"), book_side("The Hobbit")) == (1.0, True)


def test_a_title_behind_its_series_name_is_found_slightly_discounted() -> None:
    sim, both_mains = title_similarity(
        item_side("The Fellowship of the Ring"),
        book_side("The Lord of the Rings: The Fellowship of the Ring"),
    )
    assert sim == pytest.approx(0.97) and not both_mains


@pytest.mark.parametrize(
    ("item_authors", "tracker_author", "expected"),
    [
        ("J. R. R. Tolkien", "Tolkien, J.R.R.", AuthorAgreement.MATCH),
        ("Lev Tolstoy, Marian Schwartz - translator", "Leo Tolstoy", AuthorAgreement.MATCH),
        ("Brian Herbert", "Frank Herbert", AuthorAgreement.MISMATCH),
        ("Frank Herbert", None, AuthorAgreement.UNKNOWN),
    ],
)
def test_author_agreement(item_authors: str, tracker_author: str | None, expected: AuthorAgreement) -> None:
    q, b = item_side("Dune", authors=item_authors), book_side("Dune", tracker_author)
    assert author_agreement(q.people, q.author_words, b.people, b.author_words) is expected


@pytest.mark.parametrize(
    ("audible", "tracker", "guards"),
    [
        ("Mahabharata Vol 3", "Mahabharata, Vol. 2", [Guard.VOLUME]),
        ("Mahabharata Vol 6", "The Mahabharata", [Guard.VOLUME]),
        ("Mahabharata Vol 3 (Part 1)", "Mahabharata Volume 3", [Guard.PART]),
        ("Rocky III", "Rocky II", [Guard.NUMBER]),
        ("The Hunger Games Trilogy", "The Hunger Games", [Guard.OMNIBUS_VS_SINGLE]),
        ("The Hobbit", "The Hobbit: The Making of the Movie", [Guard.COMPANION]),
        ("Saga, Vol. 2", "Saga, Volume 2", []),
    ],
)
def test_structural_guards_name_what_differs(audible: str, tracker: str, guards: list[Guard]) -> None:
    assert structural_guards(parse_title(audible), parse_title(tracker)) == guards


def test_penalties_multiply_in_order_and_author_guards_come_first() -> None:
    penalties = Penalties(author_mismatch_factor=0.5, guard_factor=0.8)
    evidence = compare(
        item_side("Mahabharata Vol 3", authors="Kim Rosenthal"),
        book_side("Mahabharata, Vol. 2", "Bibek Debroy"),
        penalties,
    )
    assert evidence.guards == [Guard.DIFFERENT_AUTHOR, Guard.VOLUME]
    assert evidence.score == pytest.approx(round(evidence.title_sim * 0.5 * 0.8, 3))


def test_a_one_word_title_without_an_author_is_guarded() -> None:
    evidence = compare(item_side("Stand", authors="Carol Ann Duffy"), book_side("The Stand"), Penalties())
    assert evidence.guards == [Guard.ONE_WORD_NO_AUTHOR]
    assert evidence.author is AuthorAgreement.UNKNOWN
