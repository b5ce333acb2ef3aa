"""A tracker book made from an Audible title, and which titles to add.

Used when a person answers `c` in the review, resolves a conflict with
``create_new`` and no book_data, runs `add-missing`, or when a sync adds the
titles a reader has started (``auto_add_min_progress``). Pure: no Dagster or
database import.

The book is written the way a reader types it, not the way Audible sells it:
edition and format tags ("[Naxos AudioBooks Edition]", "(Unabridged)"), series
markers ("Book Three of The Wheel of Time") and marketing subtitles ("A Novel")
are left out; a subtitle with substance ("The New Mood Therapy") stays.
Contributors with a role (translators, introductions) are not authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.normalize import normalize_isbn, parse_person, parse_title

TO_READ, READING, FINISHED = "to_read", "reading", "finished"

_BRACKETED = re.compile(r"\s*[(\[{]([^()\[\]{}]*)[)\]}]")
# Where a title's subtitle starts: a colon, or a spaced dash ("Debt - Updated and Expanded").
_SUBTITLE_SEPARATOR = re.compile(r"(\s*:\s+|\s+-\s+)")
_SPACES = re.compile(r"\s+")
# Tags that make an edition a different thing to read, kept although parse_title calls them noise:
# a dramatisation beside the prose book must not become a second, identical-looking book.
_ADAPTATION = re.compile(
    r"\b(?:dramati[sz]\w*|full[- ]cast|radio (?:drama|play|adaptation)\w*|abridged)\b", re.I
)


@dataclass(frozen=True)
class NewBook:
    title: str
    author: str | None = None
    isbn: str | None = None
    status: str = TO_READ


def status_from_progress(percent: float | None, is_finished: bool | None) -> str:
    """The tracker status a title's Audible progress stands for."""
    if is_finished:
        return FINISHED
    return READING if (percent or 0) > 0 else TO_READ


def reaches(percent: float | None, is_finished: bool | None, minimum: float) -> bool:
    """Whether a title's progress reaches ``minimum`` percent (a finished title reaches any)."""
    return bool(is_finished) or float(percent or 0) >= minimum


def _is_dropped(segment: str, series_title: str | None, *, keep_numbers: bool = False) -> bool:
    """A title segment that says nothing about which book it is (edition, format, series marker).

    With ``keep_numbers`` a segment that is nothing but a volume, part or series number is
    kept: in "Mahabharata, Vol. 2 (Part 1)" the bracket is the whole difference to "(Part 2)",
    while ": The Stormlight Archive, Book 1" only names the series.
    """
    if not segment.strip():
        return True
    if _ADAPTATION.search(segment):
        return False
    # parse_title keeps a subtitle segment only when it is content: "Unabridged", "A Novel",
    # "Book Three of The Wheel of Time" and the series' own name are all dropped there.
    if parse_title("x", segment, series_title=series_title).subtitle:
        return False
    if not keep_numbers:
        return True
    bare = parse_title("x", segment)  # without series_title: only names written in the segment count
    return not ((bare.volumes or bare.parts or bare.omnibus_range) and not bare.series)


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ,;:-")


def _without_noise_segments(text: str, series_title: str | None, *, keep_numbers: bool) -> str:
    """``text`` without the segments after its first separator that are noise; separators kept."""
    pieces = _SUBTITLE_SEPARATOR.split(text)  # [segment, separator, segment, ...]
    kept = pieces[0]
    for separator, segment in zip(pieces[1::2], pieces[2::2], strict=True):
        if not _is_dropped(segment, series_title, keep_numbers=keep_numbers):
            kept += separator + segment
    return _tidy(kept)


def display_title(title: str, subtitle: str | None = None, series_title: str | None = None) -> str:
    """The title as a reader would write it: Audible's edition and series noise removed, case kept.

    "The Brothers Karamazov [Naxos AudioBooks Edition]" -> "The Brothers Karamazov";
    ("The Dragon Reborn", "Book Three of The Wheel of Time") -> "The Dragon Reborn";
    ("Feeling Good", "The New Mood Therapy") -> "Feeling Good: The New Mood Therapy";
    "Mahabharata, Vol. 2 (Part 1)" stays as it is. Nothing is removed when nothing would be left.
    """
    original = _tidy(title or "")

    def keep_bracket(match: re.Match[str]) -> str:
        return "" if _is_dropped(match.group(1), series_title, keep_numbers=True) else match.group(0)

    main = _tidy(_BRACKETED.sub(keep_bracket, original)) or original
    main = _without_noise_segments(main, series_title, keep_numbers=True) or main
    extra = _tidy(_BRACKETED.sub(keep_bracket, subtitle or ""))
    extra = _without_noise_segments(extra, series_title, keep_numbers=False) if extra else ""
    if extra and not _is_dropped(extra, series_title) and extra.lower() not in main.lower():
        main = f"{main}: {extra}"
    return main


def display_authors(authors: str | None) -> str | None:
    """The writers of an Audible authors field, joined by ", "; contributors with a role left out.

    "Constance Garnett - translator, Fyodor Dostoevsky" -> "Fyodor Dostoevsky". When
    everyone has a role ("Bibek Debroy - translator"), the names are kept without it.
    """
    names: list[tuple[str, bool]] = []
    for piece in (authors or "").split(","):
        name = _tidy(piece)
        if not name:
            continue
        person = parse_person(name)
        has_role = bool(person and person.role)
        if has_role:
            name = _tidy(re.split(r"\s+-\s+|\s*\(", name, maxsplit=1)[0])
        names.append((name, has_role))
    writers = [name for name, has_role in names if not has_role] or [name for name, _ in names]
    return ", ".join(dict.fromkeys(w for w in writers if w)) or None


def new_book_from_item(item: Mapping[str, Any]) -> NewBook:
    """The tracker book for an Audible title: clean title, writers, ISBN when known, status from progress."""
    isbn = item.get("isbn")
    return NewBook(
        title=display_title(
            item.get("title") or item.get("asin") or "", item.get("subtitle"), item.get("series_title")
        ),
        author=display_authors(item.get("authors")),
        isbn=isbn if isbn and normalize_isbn(isbn) else None,
        status=status_from_progress(item.get("percent_complete"), item.get("is_finished")),
    )


# --- which titles add-missing takes -----------------------------------------------------


class SelectionError(ValueError):
    """A requested title cannot be added; the message names the ASIN and why."""


@dataclass(frozen=True)
class Selection:
    chosen: tuple[Mapping[str, Any], ...]
    # (asin, why) of titles left out by --min-progress, for the listing
    below_threshold: tuple[tuple[str, str], ...] = ()


def _percent(item: Mapping[str, Any]) -> str:
    if item.get("is_finished"):
        return "finished"
    return f"{float(item.get('percent_complete') or 0):g} %"


def _wanted_asins(asins: Iterable[str], take_all: bool, min_progress: float | None) -> list[str]:
    """The named ASINs (upper-cased, once each), after checking the options go together."""
    wanted = list(dict.fromkeys(a.strip().upper() for a in asins if a.strip()))
    if wanted and take_all:
        raise SelectionError("give either --all or --asin, not both")
    if not wanted and not take_all and min_progress is None:
        raise SelectionError("choose the titles: --all, --asin ASIN … or --min-progress P")
    if min_progress is not None and not 0 <= min_progress <= 100:
        raise SelectionError(f"--min-progress must be a percent from 0 to 100, not {min_progress:g}")
    return wanted


def _pool(unmapped: Sequence[Mapping[str, Any]], wanted: list[str]) -> list[Mapping[str, Any]]:
    if not wanted:
        # An open conflict waits for a person's choice between books; an ignored title
        # was left out on purpose. Neither is added in bulk.
        return [r for r in unmapped if r.get("open_conflict_id") is None and not r.get("ignored")]
    by_asin = {row["asin"]: row for row in unmapped}
    missing = [a for a in wanted if a not in by_asin]
    if missing:
        raise SelectionError(
            f"ASIN {', '.join(missing)}: not an unmapped title of the account's last synced library "
            "(already linked, or not in the library)"
        )
    return [by_asin[a] for a in wanted]


def select_titles(
    unmapped: Sequence[Mapping[str, Any]],
    *,
    asins: Iterable[str] = (),
    take_all: bool = False,
    min_progress: float | None = None,
) -> Selection:
    """The unmapped titles to add: the named ASINs, or every one without an open conflict or an
    ignore; then only those whose progress reaches ``min_progress`` when it is given.

    ``unmapped`` rows carry asin, percent_complete, is_finished, open_conflict_id, ignored.
    A named ASIN that is not an unmapped title of the account is refused (SelectionError).
    """
    pool = _pool(unmapped, _wanted_asins(asins, take_all, min_progress))
    if min_progress is None:
        return Selection(tuple(pool))
    chosen = [r for r in pool if reaches(r.get("percent_complete"), r.get("is_finished"), min_progress)]
    below = [(r["asin"], _percent(r)) for r in pool if r not in chosen]
    return Selection(tuple(chosen), tuple(below))
