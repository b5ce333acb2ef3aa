"""Audible ``1.0/library`` API items → the library item (export) shape.

The API source must feed the same code path as an audible-cli export file, so
this turns each API item into a dict with exactly the export's keys; the
result then goes through ``domain.library_items.parse_library`` like a file.
Pure Python: no Dagster, database or HTTP import, so it is tested in ms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# The response groups the conversion reads, and no more (each group makes the
# response bigger and slower for a 4,000-title library). Always returned,
# whatever is asked: asin, library_status (date_added), purchase_date, status.
#   contributors      -> authors, narrators
#   media             -> title, subtitle, runtime_length_min, release_date, issue_date
#   product_attrs     -> the core product attributes, as audible-cli's export asks
#   product_details   -> isbn (null when Audible has none); audible-cli's goodreads
#                        plugin reads the ISBN from this group too
#   series            -> series title and sequence
#   is_finished, percent_complete -> the top-level progress fields (null unless requested)
#   listening_status  -> the same progress inside `listening_status`, used when the
#                        top-level fields are absent
LIBRARY_RESPONSE_GROUPS: tuple[str, ...] = (
    "contributors",
    "media",
    "product_attrs",
    "product_details",
    "series",
    "is_finished",
    "percent_complete",
    "listening_status",
)

EXPORT_KEYS: tuple[str, ...] = (
    "asin",
    "title",
    "subtitle",
    "authors",
    "narrators",
    "series_title",
    "series_sequence",
    "is_finished",
    "percent_complete",
    "runtime_length_min",
    "release_date",
    "date_added",
    "isbn",
)


def _names(people: Any) -> str | None:
    """audible-cli joins contributor names with ", "; we do the same."""
    if not isinstance(people, Sequence) or isinstance(people, (str, bytes)):
        return None
    names = []
    for person in people:
        name = person.get("name") if isinstance(person, Mapping) else person
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return ", ".join(names) or None


def _first_series(series: Any) -> tuple[str | None, str | None]:
    if not isinstance(series, Sequence) or isinstance(series, (str, bytes)) or not series:
        return None, None
    first = series[0]
    if not isinstance(first, Mapping):
        return None, None
    title = first.get("title")
    sequence = first.get("sequence")
    if isinstance(sequence, float) and sequence.is_integer():
        sequence = int(sequence)
    return (
        title if isinstance(title, str) and title.strip() else None,
        str(sequence) if sequence not in (None, "") else None,
    )


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _progress(item: Mapping[str, Any]) -> tuple[bool, float]:
    status = item.get("listening_status")
    status = status if isinstance(status, Mapping) else {}
    finished = item.get("is_finished")
    if finished is None:
        finished = status.get("is_finished")
    percent = _number(item.get("percent_complete"))
    if percent is None:
        percent = _number(status.get("percent_complete"))
    is_finished = bool(finished) if isinstance(finished, (bool, int)) else False
    if percent is None:
        # A finished title without a position is done; anything else unstarted.
        percent = 100.0 if is_finished else 0.0
    # The API reports float positions (e.g. 100.00000001 or tiny negatives);
    # the item contract is 0–100, so clamp here rather than reject the title.
    return is_finished, round(min(max(percent, 0.0), 100.0), 2)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def api_item_to_export(item: Mapping[str, Any]) -> dict[str, Any]:
    """One API library item as an export-shaped dict (all EXPORT_KEYS, nulls kept).

    Validation (ASIN format, lengths) is left to ``parse_library`` so both
    sources reject bad records the same way, with the same messages.
    """
    series_title, series_sequence = _first_series(item.get("series"))
    is_finished, percent = _progress(item)
    runtime = _number(item.get("runtime_length_min"))
    library_status = item.get("library_status")
    date_added = library_status.get("date_added") if isinstance(library_status, Mapping) else None
    return {
        "asin": item.get("asin"),
        "title": _text(item.get("title")),
        "subtitle": _text(item.get("subtitle")),
        "authors": _names(item.get("authors")),
        "narrators": _names(item.get("narrators")),
        "series_title": series_title,
        "series_sequence": series_sequence,
        "is_finished": is_finished,
        "percent_complete": percent,
        "runtime_length_min": None if runtime is None else int(round(runtime)),
        "release_date": _text(item.get("release_date")) or _text(item.get("issue_date")),
        # audible-cli's date_added is the library date; purchase_date is the same
        # moment for bought titles and the only date when library_status is absent.
        "date_added": _text(date_added) or _text(item.get("purchase_date")),
        "isbn": _text(item.get("isbn")),
    }


def api_items_to_export(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Convert a whole library; non-object entries are passed through for parse_library to reject."""
    return [api_item_to_export(item) if isinstance(item, Mapping) else item for item in items]
