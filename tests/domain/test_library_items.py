"""Cleaning a library item's text: the shortcut for text that is already clean changes nothing."""

import random
import unicodedata

from domain import library_items as li

# Every kind of character the cleaning treats apart: spaces of all widths, tabs, line and
# paragraph separators, C0/C1 controls, combining marks, precomposed letters, zero-width ones.
_CHARACTERS = (
    "a", "Z", " ", "\t", "\n", "\u00a0", "\u0301", "é", "\x85", "\u2028", "\x1f", "\x7f", "\x9f",
    "\u3000", "\u200b", "\ufeff", "\u1680", "\u2003", "\x0b", "ﬁ", "A\u030a",
)  # fmt: skip


def _cleaned_the_long_way(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return " ".join(li._CONTROL_CHARS.sub(" ", text).split())


def test_text_taken_as_clean_is_what_cleaning_would_return():
    rng = random.Random(7)
    samples = ["".join(rng.choice(_CHARACTERS) for _ in range(rng.randint(0, 7))) for _ in range(50_000)]
    for text in samples:
        if li._already_clean(text):
            assert _cleaned_the_long_way(text) == text, repr(text)


def test_items_keep_their_cleaned_text():
    item = li.parse_library_item(
        {"asin": "b000000001", "title": "  The\u00a0Hobbit\t(Unabridged) ", "authors": "J. R. R. Tolkien"}
    )
    assert (item.asin, item.title, item.authors) == (
        "B000000001",
        "The Hobbit (Unabridged)",
        "J. R. R. Tolkien",
    )
    assert li.parse_library_item({"asin": "B000000001", "title": "Cafe\u0301"}).title == "Café"
