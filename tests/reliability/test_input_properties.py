"""Property-based tests: whatever Audible or an export file sends, the parser and normaliser stay sane.

The item parser either returns an item that satisfies every invariant the
write phase relies on, or raises LibraryItemError naming the record and the
field. Nothing else escapes. The normalisers never raise, are bounded and
idempotent, and produce only lower-case words (letters of every script kept) separated by single spaces.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.library_items import (
    ASIN_PATTERN,
    MAX_TEXT_LENGTH,
    LibraryItem,
    LibraryItemError,
    LibraryShapeError,
    parse_library,
    parse_library_item,
)
from domain.normalize import normalize_author, normalize_isbn, normalize_title

TEXT_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "narrators",
    "series_title",
    "release_date",
    "date_added",
    "isbn",
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Text as it comes from the wild: every script, control characters, SQL metacharacters, huge strings.
nasty_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(
        [
            "Robert'); DROP TABLE books;--",
            "' OR 1=1 --",
            "100% \\ _ %s %(x)s $1 ::text",
            "Война и мир: 戦争と平和 — الحرب والسلام",
            "a\x00b\x07c\u200bd\u202ee",
            "Ｆｕｌｌｗｉｄｔｈ Ｔｉｔｌｅ",
            "x" * 10_240,
            "",
            "   ",
        ]
    ),
)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), nasty_text
)
asin_like = st.one_of(
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=10, max_size=10),
    st.text(alphabet=string.ascii_letters + string.digits, min_size=10, max_size=10),
    json_scalar,
)
record = st.fixed_dictionaries(
    {},
    optional={
        "asin": asin_like,
        "title": st.one_of(nasty_text, json_scalar),
        "subtitle": json_scalar,
        "authors": st.one_of(json_scalar, st.lists(nasty_text, max_size=3)),
        "narrators": json_scalar,
        "series_title": json_scalar,
        "series_sequence": json_scalar,
        "is_finished": json_scalar,
        "percent_complete": st.one_of(st.floats(-1000, 1000), st.integers(-500, 500), json_scalar),
        "runtime_length_min": st.one_of(st.integers(-(10**6), 10**6), json_scalar),
        "release_date": json_scalar,
        "date_added": json_scalar,
        "isbn": json_scalar,
        "extra_field": json_scalar,
    },
)
anything = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_item(item: LibraryItem) -> None:
    assert ASIN_PATTERN.match(item.asin)
    assert 0.0 <= item.percent_complete <= 100.0
    assert item.runtime_length_min is None or 0 <= item.runtime_length_min <= 100_000
    assert isinstance(item.is_finished, bool)
    for name in TEXT_FIELDS + ("series_sequence",):
        value = getattr(item, name)
        if value is None:
            continue
        assert isinstance(value, str)
        assert len(value) <= MAX_TEXT_LENGTH, name
        assert not CONTROL.search(value), name
        assert value == value.strip() and "  " not in value, name


@FAST
@given(raw=record, index=st.integers(0, 10**6))
def test_item_parser_returns_a_valid_item_or_names_record_and_field(raw, index):
    try:
        item = parse_library_item(raw, index)
    except LibraryItemError as error:
        assert f"#{index}" in str(error)
        assert error.field_name in set(raw) | {"asin", "(record)"}
        assert f"field '{error.field_name}'" in str(error)
        return
    _check_item(item)
    # Text survives as text: SQL metacharacters and other scripts are data, not syntax.
    if isinstance(raw.get("title"), str) and "DROP TABLE" in raw["title"] and len(raw["title"]) < 100:
        assert "DROP TABLE" in item.title


@FAST
@given(raw=anything, index=st.integers(0, 100))
def test_item_parser_never_raises_anything_else_on_any_json(raw, index):
    try:
        _check_item(parse_library_item(raw, index))
    except LibraryItemError as error:
        assert f"#{index}" in str(error)


def _records(payload):
    """The list of records a payload holds (an export's list, or the API's {"items": [...]}), else None."""
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        return payload["items"]
    return payload if isinstance(payload, list) else None


def _first_problem(records) -> LibraryItemError | None:
    """The first record's error when no record at all can be read, else None."""
    errors = []
    for index, raw in enumerate(records):
        try:
            parse_library_item(raw, index)
        except LibraryItemError as error:
            errors.append(error)
        else:
            return None
    return errors[0] if errors else None


@FAST
@given(payload=st.one_of(st.lists(st.one_of(record, anything), max_size=8), anything))
def test_library_parser_accounts_for_every_record_or_refuses_the_whole(payload):
    """Refused exactly when the payload holds no list of records, or when not one record can be read;
    otherwise every record is either an item or a rejection."""
    records = _records(payload)
    if records is None:
        with pytest.raises(LibraryShapeError) as refused:
            parse_library(payload)
        assert str(refused.value) == f"the library must be a JSON list of items, got {type(payload).__name__}"
        return
    unreadable = _first_problem(records)
    if unreadable is not None:
        with pytest.raises(LibraryShapeError) as refused:
            parse_library(payload)
        assert str(refused.value) == (
            f"none of the {len(records)} library records could be read; first problem: {unreadable}"
        )
        return
    parsed = parse_library(payload)
    assert len(parsed.items) + len(parsed.rejected) == len(records)
    assert len({item.asin for item in parsed.items}) == len(parsed.items), (
        "no duplicate ASIN reaches the writes"
    )
    for item in parsed.items:
        _check_item(item)


GOOD = {"asin": "B000000001", "title": "A Title"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"not": "a library"}, "the library must be a JSON list of items, got dict"),
        ({"items": "B000000001"}, "the library must be a JSON list of items, got dict"),
        ("B000000001", "the library must be a JSON list of items, got str"),
        (None, "the library must be a JSON list of items, got NoneType"),
        (
            [1, 2],
            "none of the 2 library records could be read; first problem: "
            "library item #0: field '(record)' must be an object, got int",
        ),
        (
            [{"title": "No ASIN"}],
            "none of the 1 library records could be read; first problem: "
            "library item #0: field 'asin' is missing",
        ),
    ],
)
def test_payloads_refused_as_a_whole_say_why(payload, reason):
    with pytest.raises(LibraryShapeError) as refused:
        parse_library(payload)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("payload", "items", "rejected"),
    [
        ([GOOD], 1, 0),
        ({"items": [GOOD]}, 1, 0),
        ([GOOD, 5, {"title": "No ASIN"}], 1, 2),
        ([GOOD, GOOD], 1, 1),  # the second copy of an ASIN is rejected
    ],
)
def test_payloads_with_one_readable_record_are_accepted(payload, items, rejected):
    parsed = parse_library(payload)
    assert (len(parsed.items), len(parsed.rejected)) == (items, rejected)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"title": "No ASIN"}, "asin"),
        ({"asin": "B00000000X", "title": "T", "percent_complete": 250}, "percent_complete"),
        ({"asin": "B00000000X", "title": "T", "runtime_length_min": -5}, "runtime_length_min"),
        ({"asin": "B00000000X", "title": "x" * 10_240}, "title"),
        ({"asin": "B00000000X", "title": "T", "is_finished": "maybe"}, "is_finished"),
        ({"asin": "'; DROP--", "title": "T"}, "asin"),
    ],
)
def test_each_bad_value_names_its_field(raw, field):
    with pytest.raises(LibraryItemError) as caught:
        parse_library_item(raw, 7)
    assert caught.value.field_name == field and "#7" in str(caught.value)


# Words of letters and digits of any script, single spaces, nothing upper-case, no punctuation.
WORDS = re.compile(r"(?:[^\W_]+(?: [^\W_]+)*)?")


def _clean_words(text: str) -> bool:
    # Case-folded, not "no upper-case letter": Unicode folds Cherokee to its upper-case letters.
    return bool(WORDS.fullmatch(text)) and text.casefold() == text


title_text = st.one_of(
    nasty_text, st.text(alphabet="IVXivx0123456789 :-()[]bookBOOKvolpart,.#&'", max_size=80)
)


@FAST
@given(title=title_text, subtitle=st.one_of(st.none(), nasty_text))
def test_normalize_title_is_total_bounded_clean_and_idempotent(title, subtitle):
    result = normalize_title(title, subtitle)
    assert isinstance(result, str)
    assert _clean_words(result), result
    assert len(result) <= 2 * 1000
    assert normalize_title(result) == result


@FAST
@given(name=st.one_of(st.none(), nasty_text))
def test_normalize_author_is_total_and_clean(name):
    result = normalize_author(name)
    assert _clean_words(result), result


isbn10_body = st.text(alphabet=string.digits, min_size=9, max_size=9)


@FAST
@given(body=isbn10_body, separator=st.sampled_from(["", "-", " "]))
def test_isbn10_and_its_isbn13_normalise_to_the_same_13_digits(body, separator):
    check = (11 - sum((10 - i) * int(d) for i, d in enumerate(body)) % 11) % 11
    isbn10 = body + ("X" if check == 10 else str(check))
    first12 = "978" + body
    isbn13 = first12 + str(
        (10 - sum((1 if i % 2 == 0 else 3) * int(d) for i, d in enumerate(first12)) % 10) % 10
    )
    spaced = separator.join([isbn10[:1], isbn10[1:4], isbn10[4:9], isbn10[9:]])
    assert normalize_isbn(spaced) == normalize_isbn(isbn13) == isbn13


@FAST
@given(raw=st.one_of(json_scalar, anything))
def test_normalize_isbn_returns_13_digits_or_none(raw):
    result = normalize_isbn(raw)
    assert result is None or re.fullmatch(r"97[89]\d{10}", result)
