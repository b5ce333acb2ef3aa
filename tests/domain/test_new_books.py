"""Tracker books made from Audible titles, and which titles add-missing takes."""

from __future__ import annotations

import pytest

from domain.new_books import (
    NewBook,
    SelectionError,
    display_authors,
    display_title,
    new_book_from_item,
    select_titles,
    status_from_progress,
)


@pytest.mark.parametrize(
    ("title", "subtitle", "series", "expected"),
    [
        # Real titles from an audible-cli export.
        ("The Brothers Karamazov [Naxos AudioBooks Edition]", None, None, "The Brothers Karamazov"),
        ("The Dragon Reborn", "Book Three of The Wheel of Time", "The Wheel of Time", "The Dragon Reborn"),
        ("New Spring", "The Wheel of Time Prequel", "The Wheel of Time", "New Spring"),
        ("Feeling Good", "The New Mood Therapy", None, "Feeling Good: The New Mood Therapy"),
        ("Matilda", "Narrated by Kate Winslet", None, "Matilda"),
        ("Meditations", "Penguin Classics", None, "Meditations"),
        ("Debt - Updated and Expanded", "The First 5,000 Years", None, "Debt: The First 5,000 Years"),
        ("Empathy", "HBR Emotional Intelligence Series", "HBR Emotional Intelligence Series", "Empathy"),
        # The number is the whole difference between two books: kept.
        ("Mahabharata, Vol. 2 (Part 1)", None, "The Mahabharata", "Mahabharata, Vol. 2 (Part 1)"),
        ("Fry's English Delight (Series 2)", None, None, "Fry's English Delight (Series 2)"),
        # A dramatisation is not the prose book: it says so.
        (
            "Norse Mythology",
            "A BBC Radio 4 Full-Cast Dramatisation",
            None,
            "Norse Mythology: A BBC Radio 4 Full-Cast Dramatisation",
        ),
        ("The Hobbit (Unabridged)", None, None, "The Hobbit"),
        (
            "The Way of Kings: The Stormlight Archive, Book 1",
            None,
            "The Stormlight Archive",
            "The Way of Kings",
        ),
        ("Unabridged", None, None, "Unabridged"),  # nothing would be left: kept as it is
    ],
)
def test_titles_lose_audible_noise_and_keep_what_tells_books_apart(title, subtitle, series, expected):
    assert display_title(title, subtitle, series) == expected


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        ("Constance Garnett - translator, Fyodor Dostoevsky", "Fyodor Dostoevsky"),
        ("Stephen Fry - introductions, Arthur Conan Doyle", "Arthur Conan Doyle"),
        ("Bibek Debroy - translator", "Bibek Debroy"),
        ("Chris Voss, Tahl Raz", "Chris Voss, Tahl Raz"),
        ("", None),
        (None, None),
    ],
)
def test_authors_are_the_writers(authors, expected):
    assert display_authors(authors) == expected


def test_status_follows_progress():
    assert status_from_progress(0, False) == "to_read"
    assert status_from_progress(0.12, False) == "reading"
    assert status_from_progress(0, True) == "finished"  # finished on Audible without a percent


def test_a_new_book_keeps_a_valid_isbn_only():
    item = {
        "asin": "B079J3VN3J",
        "title": "The Brothers Karamazov [Naxos AudioBooks Edition]",
        "authors": "Constance Garnett - translator, Fyodor Dostoevsky",
        "percent_complete": 0.13,
        "is_finished": False,
        "isbn": "978-0-374-52837-9",
    }
    assert new_book_from_item(item) == NewBook(
        "The Brothers Karamazov", "Fyodor Dostoevsky", "978-0-374-52837-9", "reading"
    )
    assert new_book_from_item({**item, "isbn": "12345"}).isbn is None


UNMAPPED = [
    {"asin": "A1", "percent_complete": 0, "is_finished": False, "open_conflict_id": None, "ignored": False},
    {"asin": "A2", "percent_complete": 30, "is_finished": False, "open_conflict_id": None, "ignored": False},
    {"asin": "A3", "percent_complete": 0, "is_finished": True, "open_conflict_id": None, "ignored": False},
    {"asin": "A4", "percent_complete": 80, "is_finished": False, "open_conflict_id": 7, "ignored": False},
    {"asin": "A5", "percent_complete": 90, "is_finished": False, "open_conflict_id": None, "ignored": True},
]


def _asins(selection):
    return [row["asin"] for row in selection.chosen]


def test_all_leaves_conflicts_and_ignored_titles_to_a_person():
    assert _asins(select_titles(UNMAPPED, take_all=True)) == ["A1", "A2", "A3"]


def test_min_progress_narrows_and_a_finished_title_always_qualifies():
    selection = select_titles(UNMAPPED, min_progress=25)
    assert _asins(selection) == ["A2", "A3"]
    assert selection.below_threshold == (("A1", "0 %"),)


def test_named_asins_are_taken_as_named_upper_cased_even_with_a_conflict():
    assert _asins(select_titles(UNMAPPED, asins=["a4", " A1 ", "A4"])) == ["A4", "A1"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "choose the titles"),
        ({"take_all": True, "asins": ["A1"]}, "either --all or --asin"),
        ({"asins": ["B0NOSUCH00"]}, "ASIN B0NOSUCH00: not an unmapped title"),
        ({"take_all": True, "min_progress": 101}, "percent from 0 to 100"),
    ],
)
def test_a_bad_selection_is_refused_with_one_line(options, message):
    with pytest.raises(SelectionError, match=message):
        select_titles(UNMAPPED, **options)
