"""The named pieces of one comparison: similarities, guards and penalties, one by one."""

from __future__ import annotations

import pytest

from domain.match_scoring import (
    AuthorAgreement,
    Guard,
    Penalties,
    author_agreement,
    author_guard,
    compare,
    narrator_named_as_author,
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
        ("Brian Herbert", "Frank Herbert", AuthorAgreement.NEAR),
        ("Kim Rosenthal", "Frank Herbert", AuthorAgreement.MISMATCH),
        ("Frank Herbert", None, AuthorAgreement.UNKNOWN),
    ],
)
def test_author_agreement(item_authors: str, tracker_author: str | None, expected: AuthorAgreement) -> None:
    q, b = item_side("Dune", authors=item_authors), book_side("Dune", tracker_author)
    assert author_agreement(q.people, q.author_words, b.people, b.author_words) is expected


@pytest.mark.parametrize(
    ("audible", "tracker", "guards"),
    [
        # Certainly another book.
        ("Mahabharata Vol 9", "The Mahabharata, Volume 1", [Guard.OTHER_VOLUME]),
        ("Star Wars: Episode V", "Star Wars: Episode VI", [Guard.OTHER_VOLUME]),
        ("Henry VI, Part 3", "Henry VI, Part 1", [Guard.OTHER_PART]),
        ("Rocky III", "Rocky II", [Guard.OTHER_NUMBER]),
        ("The Hunger Games Trilogy", "The Hunger Games", [Guard.OMNIBUS_VS_SINGLE]),
        ("The Wheel of Time: Books 1-3", "The Wheel of Time: Books 4-6", [Guard.OMNIBUS_RANGES]),
        ("The Hobbit", "The Hobbit: The Making of the Movie", [Guard.COMPANION]),
        # A person decides.
        ("Mahabharata Vol 6", "The Mahabharata", [Guard.VOLUME_UNSTATED]),
        ("Mahabharata Vol 3 (Part 1)", "Mahabharata Volume 3", [Guard.PART_UNSTATED]),
        ("Sherlock Holmes: The Definitive Collection", "Sherlock Holmes", [Guard.COLLECTION_UNSTATED]),
        (
            "Sherlock Holmes: The Definitive Collection",
            "Sherlock Holmes: The Complete Novels and Stories",
            [Guard.OTHER_COLLECTION],
        ),
        ("Emma: A BBC Radio 4 Full-Cast Dramatisation", "Emma", [Guard.ADAPTATION]),
        ("Great Expectations (Abridged)", "Great Expectations", [Guard.ADAPTATION]),
        ("Atomic Habits: Summary", "Atomic Habits", [Guard.ADAPTATION]),
        # No objection.
        ("Saga, Vol. 2", "Saga, Volume 2", []),
        ("The Great Gatsby (Unabridged)", "The Great Gatsby", []),
        ("Terry Pratchett: BBC Radio Drama Collection", "Terry Pratchett: BBC Radio Drama Collection", []),
    ],
)
def test_structural_guards_name_what_differs(audible: str, tracker: str, guards: list[Guard]) -> None:
    assert structural_guards(parse_title(audible), parse_title(tracker)) == guards


def test_series_positions_alone_may_be_counted_differently() -> None:
    # The Chronicles of Narnia in reading order (Audible) and publication order (a tracker).
    audible = parse_title("The Voyage of the Dawn Treader", "The Chronicles of Narnia, Book 5")
    assert structural_guards(
        audible, parse_title("The Voyage of the Dawn Treader (The Chronicles of Narnia, #3)")
    ) == [Guard.SERIES_POSITION]
    # Under another title, another position is another book.
    assert structural_guards(audible, parse_title("Prince Caspian (The Chronicles of Narnia, #4)")) == [
        Guard.OTHER_VOLUME
    ]


def test_a_book_titled_with_the_items_series_name_is_another_book() -> None:
    audible = parse_title(
        "Dragonfly in Amber", "Outlander, Book 2", series_title="Outlander", series_sequence="2"
    )
    assert Guard.SERIES_NAME in structural_guards(audible, parse_title("Outlander"))
    # The series name in front of the book's own title is still that book.
    fellowship = parse_title("The Fellowship of the Ring", series_title="The Lord of the Rings")
    assert (
        structural_guards(fellowship, parse_title("The Lord of the Rings: The Fellowship of the Ring")) == []
    )


@pytest.mark.parametrize(
    ("item_authors", "tracker_author", "guard"),
    [
        ("Harvard Business Review", "Roman Krznaric", Guard.DIFFERENT_AUTHOR),
        ("Brian Herbert", "Frank Herbert", Guard.SIMILAR_AUTHOR),
        ("Robert Jordan", "Robert Jordon", Guard.SIMILAR_AUTHOR),
        ("Dan Brown", None, None),
    ],
)
def test_author_guards(item_authors: str, tracker_author: str | None, guard) -> None:
    q = item_side("The Lost Symbol", authors=item_authors)
    b = book_side("The Lost Symbol", tracker_author)
    agreement = author_agreement(q.people, q.author_words, b.people, b.author_words)
    assert author_guard(q, b, agreement) is guard


def test_a_narrator_typed_as_the_author_is_recognised() -> None:
    evidence = compare(
        item_side("Matilda", authors="Roald Dahl"), book_side("Matilda", "Winslet, Kate"), Penalties()
    )
    assert evidence.guards == [Guard.DIFFERENT_AUTHOR]
    assert narrator_named_as_author(split_item_authors("Kate Winslet"), evidence)
    assert not narrator_named_as_author(split_item_authors("Stephen Fry"), evidence)


def test_penalties_multiply_in_order_and_author_guards_come_first() -> None:
    penalties = Penalties(author_mismatch_factor=0.5, guard_factor=0.8)
    evidence = compare(
        item_side("Mahabharata Vol 3", authors="Kim Rosenthal"),
        book_side("Mahabharata, Vol. 2", "Bibek Debroy"),
        penalties,
    )
    assert evidence.guards == [Guard.DIFFERENT_AUTHOR, Guard.OTHER_VOLUME]
    assert evidence.score == pytest.approx(round(evidence.title_sim * 0.5 * 0.8, 3))


def test_a_one_word_title_without_an_author_is_guarded() -> None:
    evidence = compare(item_side("Stand", authors="Carol Ann Duffy"), book_side("The Stand"), Penalties())
    assert evidence.guards == [Guard.ONE_WORD_NO_AUTHOR]
    assert evidence.author is AuthorAgreement.UNKNOWN
