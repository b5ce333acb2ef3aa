"""The normaliser: what is noise is dropped, what tells books apart is extracted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.normalize import (
    normalize_author,
    normalize_isbn,
    normalize_title,
    parse_title,
    roman_to_int,
    split_item_authors,
    split_tracker_authors,
    title_words,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Great Gatsby (Unabridged)", "great gatsby"),
        ("The Brothers Karamazov [Naxos AudioBooks Edition]", "brothers karamazov"),
        ("It Ends with Us: A Novel", "it ends with us"),
        ("The Way of Kings: The Stormlight Archive, Book 1", "way of kings"),
        (
            "Harry Potter and the Chamber of Secrets (Harry Potter, #2)",
            "harry potter and the chamber of secrets",
        ),
        ("Les Misérables", "les miserables"),
        ("Crime & Punishment", "crime and punishment"),
        ("Man’s Search for Meaning", "mans search for meaning"),
        ("Rocky II", "rocky 2"),
        ("Around the World in Eighty Days", "around the world in 80 days"),
        ("A Tale of Two Cities", "tale of 2 cities"),
        ("Why I Am an Atheist", "why i am an atheist"),
        ("Debt - Updated and Expanded", "debt"),
        ("Mahabharata, Vol. 2 (Part 1)", "mahabharata"),
        ("Elantris: Tenth Anniversary Author's Definitive Edition", "elantris"),
        ("", ""),
    ],
)
def test_normalize_title_drops_noise_and_series_markers(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


def test_subtitle_is_kept_apart_from_the_main_title() -> None:
    info = parse_title("Never Split the Difference", "Negotiating as if Your Life Depended on It")
    assert info.main == "never split the difference"
    assert info.subtitle == "negotiating as if your life depended on it"
    assert info.full.startswith("never split the difference negotiating")


@pytest.mark.parametrize(
    ("title", "subtitle", "sequence", "volumes", "parts", "essential"),
    [
        ("The Dragon Reborn", "Book Three of The Wheel of Time", None, {"3"}, set(), False),
        ("The Way of Kings", "The Stormlight Archive, Book 1", None, {"1"}, set(), False),
        ("Mahabharata, Vol. 2 (Part 1)", None, "2", {"2"}, {"1"}, True),
        ("Mahabharata Vol 10", None, None, {"10"}, set(), True),
        ("The Complete Sherlock Holmes, Volume II", None, None, {"2"}, set(), True),
        ("Fry's English Delight (Series 2)", None, None, {"2"}, set(), True),
        ("The Gunslinger", "The Dark Tower I", "1", {"1"}, set(), False),
        ("New Spring", "The Wheel of Time Prequel", "0", {"0"}, set(), False),
        ("Henry VI, Part 3", None, None, set(), {"3"}, True),
        ("Diary of a Wimpy Kid #2", "Rodrick Rules", None, {"2"}, set(), True),
        ("The Book Thief", None, None, set(), set(), False),
        ("The No. 1 Ladies' Detective Agency", None, None, set(), set(), False),
    ],
)
def test_volume_and_part_numbers_are_extracted(title, subtitle, sequence, volumes, parts, essential) -> None:
    info = parse_title(title, subtitle, series_sequence=sequence)
    assert set(info.volumes) == volumes
    assert set(info.parts) == parts
    assert info.essential is essential


@pytest.mark.parametrize(
    ("title", "subtitle", "sequence"),
    [
        ("The Wheel of Time Box Set", None, None),
        ("The Wheel of Time", "Books 1-3", None),
        ("Sherlock Holmes: The Definitive Collection", None, "1-6"),
        ("The Hunger Games Trilogy", None, None),
        ("The Hitchhiker's Guide to the Galaxy", "The Trilogy of Five", None),
        ("Sherlock Holmes", "The Complete Novels and Stories", None),
    ],
)
def test_omnibus_is_recognised(title, subtitle, sequence) -> None:
    assert parse_title(title, subtitle, series_sequence=sequence).omnibus


def test_single_volumes_are_not_omnibus() -> None:
    assert not parse_title(
        "The Eye of the World", "Book One of The Wheel of Time", series_sequence="1"
    ).omnibus
    assert not parse_title("The Hunger Games").omnibus


@pytest.mark.parametrize(
    "title",
    [
        "The Hobbit: The Making of the Movie",
        "Sapiens: A Graphic History",
        "The Annotated Hobbit",
    ],
)
def test_companion_works_are_marked(title: str) -> None:
    assert parse_title(title).companion
    assert not parse_title("The Hobbit").companion


@pytest.mark.parametrize(
    ("title", "subtitle", "series_title", "kinds"),
    [
        ("Norse Mythology", "A BBC Radio 4 Full-Cast Dramatisation", None, {"dramatisation"}),
        ("The Hobbit", "A BBC Full-Cast Radio Drama", None, {"dramatisation"}),
        ("The Hitchhiker's Guide to the Galaxy", "Dramatized Adaptation", None, {"dramatisation"}),
        ("Dracula", "A Full-Cast Audio Drama", None, {"dramatisation"}),
        ("Norse Mythology", None, "Neil Gaiman Full-Cast Radio Adaptations", {"dramatisation"}),
        ("Great Expectations (Abridged)", None, None, {"abridged"}),
        ("Summary of Atomic Habits", None, None, {"summary"}),
        ("Animal Farm", "SparkNotes Literature Guide", None, {"summary"}),
        # Unabridged and full-cast readings of the text are the book itself.
        ("The Great Gatsby (Unabridged)", None, None, set()),
        ("American Gods", "The Tenth Anniversary Edition", None, set()),
    ],
)
def test_adaptations_are_marked_by_kind(
    title: str, subtitle: str | None, series_title: str | None, kinds: set[str]
) -> None:
    info = parse_title(title, subtitle, series_title=series_title)
    assert info.adaptation == kinds
    assert not info.companion


def test_a_number_standing_alone_in_a_title_is_told_from_a_series_position() -> None:
    assert parse_title("Star Wars: Episode V", "The Empire Strikes Back").numbered_title
    assert parse_title("Mahabharata Vol 9").numbered_title
    assert not parse_title("The Way of Kings", "The Stormlight Archive, Book 1").numbered_title
    assert not parse_title("The Great Hunt", series_sequence="2").numbered_title


def test_series_only_main_title_offers_the_subtitle_as_alternative() -> None:
    info = parse_title("Mistborn: The Final Empire: Mistborn, Book 1")
    assert info.main == "mistborn"
    assert info.alt == "final empire"


def test_author_name_prefix_gives_way_to_the_real_title() -> None:
    info = parse_title(
        "David Attenborough - Life on Air", "Memoirs of a Broadcaster", authors=("david attenborough",)
    )
    assert info.main == "life on air"


@pytest.mark.parametrize(
    ("value", "expected"), [("ii", 2), ("IV", 4), ("xiv", 14), ("iiii", None), ("vx", None), ("abc", None)]
)
def test_roman_numerals(value: str, expected: int | None) -> None:
    assert roman_to_int(value) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0-306-40615-2", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        ("978 0 306 40615 7", "9780306406157"),
        ("ISBN 0306406152", "9780306406157"),
        ("014349743X", "9780143497431"),
        ("0-306-40615-3", None),  # bad ISBN-10 checksum
        ("9780306406158", None),  # bad ISBN-13 checksum
        ("B079TN3VGM", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_isbn_makes_isbn10_and_isbn13_equal(raw, expected) -> None:
    assert normalize_isbn(raw) == expected


@pytest.mark.parametrize(
    "name", ["J.R.R. Tolkien", "J. R. R. Tolkien", "Tolkien, J.R.R.", "J R R Tolkien", "Dr. J.R.R. Tolkien"]
)
def test_author_initials_and_last_first_agree(name: str) -> None:
    assert normalize_author(name) == "j r r tolkien"


def test_item_authors_keep_roles_apart_and_split_on_commas() -> None:
    people = split_item_authors("Constance Garnett - translator, Fyodor Dostoevsky")
    assert [(p.key, p.role) for p in people] == [
        ("constance garnett", "translator"),
        ("fyodor dostoevsky", None),
    ]
    assert split_item_authors("Lindsay C. Gibson PsyD")[0].key == "lindsay c gibson"


def test_tracker_authors_read_last_first_and_joined_lists() -> None:
    keys = {p.key for p in split_tracker_authors("Tolkien, J.R.R.")}
    assert keys == {"j r r tolkien"}
    keys = {p.key for p in split_tracker_authors("Chris Voss & Tahl Raz")}
    assert keys == {"chris voss", "tahl raz"}
    keys = {p.key for p in split_tracker_authors("Chris Voss, Tahl Raz")}
    assert {"chris voss", "tahl raz"} <= keys


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_normalize_title_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize_title(text)
    assert normalize_title(once) == once
    assert normalize_isbn(text) is None or len(normalize_isbn(text)) == 13
    normalize_author(text)
    split_tracker_authors(text)


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet="ab \x00\x07\u200b\u202eéßж:-()[]#", min_size=1, max_size=50))
def test_normalize_title_survives_long_strings_with_control_characters(chunk: str) -> None:
    text = (chunk * (10_000 // len(chunk) + 1))[:10_000]
    assert normalize_title(normalize_title(text)) == normalize_title(text)


def test_mixed_scripts_do_not_crash() -> None:
    # Non-Latin letters are kept (only their combining marks are folded, as for Latin).
    assert normalize_title("Война и мир (Unabridged)") == normalize_title("ВОЙНА И МИР") == "воина и мир"
    assert normalize_title("ノルウェイの森") == "ノルウェイの森"


# The index files every book under title_words, while items look books up by their parsed
# tokens: a parsed token missing from title_words would hide the book from that item.
TITLE_SHAPES = st.lists(
    st.sampled_from(
        ["The", "Book", "3", "II", "Vol.", "#2", "(", ")", "[Unabridged]", ":", " - ", "&", "A Novel",
         "Edition", "Anniversary", "Part", "One", "Séance", "Crime", "of", "Series", ",", "1,000", "Box Set",
         "Trilogy", "Companion", "Dramatised", "Summary", "Jr.", "’s", "Mahabharata"]
    )
    | st.text(max_size=12),
    max_size=12,
).map(" ".join)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(TITLE_SHAPES)
def test_title_words_hold_every_token_the_full_parse_finds(title: str) -> None:
    assert parse_title(title).tokens <= title_words(title)


@pytest.mark.parametrize(
    "title",
    [
        "The Way of Kings (The Stormlight Archive, Book 1)",
        "Harry Potter and the Chamber of Secrets (Harry Potter, #2)",
        "Rocky II",
        "The The",
        "David Attenborough - Life on Air",
        "Elantris: Tenth Anniversary Author's Definitive Edition",
        "(Unabridged)",
    ],
)
def test_title_words_hold_the_parsed_tokens_of_real_title_shapes(title: str) -> None:
    assert parse_title(title).tokens <= title_words(title)
