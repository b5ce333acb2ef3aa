"""API library item → export shape: one code path with export files."""

from __future__ import annotations

from typing import Any

import pytest

from domain.api_to_export import (
    EXPORT_KEYS,
    LIBRARY_RESPONSE_GROUPS,
    api_item_to_export,
    api_items_to_export,
)
from domain.library_items import parse_library

# Shaped like a real `1.0/library` item with the response groups we request
# (fields of other groups omitted).
API_ITEM: dict[str, Any] = {
    "asin": "B002V0QK4C",
    "title": "The Eye of the World",
    "subtitle": "Book One of The Wheel of Time",
    "authors": [{"asin": "B000APZGGS", "name": "Robert Jordan"}],
    "narrators": [{"name": "Michael Kramer"}, {"name": "Kate Reading"}],
    "series": [
        {"asin": "B004WZRSOE", "sequence": "1", "title": "The Wheel of Time", "url": "/pd/x"},
        {"asin": "B0C1", "sequence": "1-3", "title": "Omnibus", "url": "/pd/y"},
    ],
    "runtime_length_min": 2976,
    "release_date": "2004-10-26",
    "issue_date": "2004-10-26",
    "purchase_date": "2021-01-25T12:43:44.103Z",
    "library_status": {"date_added": "2021-01-25T12:43:44.103Z", "is_pending": False},
    "is_finished": False,
    "percent_complete": 42.37,
    "listening_status": {
        "is_finished": False,
        "percent_complete": 42.37,
        "time_remaining_seconds": 102900,
    },
    "content_type": "Product",
}


def test_full_item_converts_to_the_export_shape() -> None:
    out = api_item_to_export(API_ITEM)
    assert tuple(out) == EXPORT_KEYS
    assert out == {
        "asin": "B002V0QK4C",
        "title": "The Eye of the World",
        "subtitle": "Book One of The Wheel of Time",
        "authors": "Robert Jordan",
        "narrators": "Michael Kramer, Kate Reading",
        "series_title": "The Wheel of Time",
        "series_sequence": "1",
        "is_finished": False,
        "percent_complete": 42.37,
        "runtime_length_min": 2976,
        "release_date": "2004-10-26",
        "date_added": "2021-01-25T12:43:44.103Z",
        "isbn": None,
    }


def test_converted_items_parse_like_an_export_file() -> None:
    parsed = parse_library(
        api_items_to_export([API_ITEM, {**API_ITEM, "asin": "B00ABCDEFG", "isbn": "9780812511819"}])
    )
    assert not parsed.rejected
    assert [i.asin for i in parsed.items] == ["B002V0QK4C", "B00ABCDEFG"]
    assert parsed.items[1].isbn == "9780812511819"
    assert parsed.items[0].authors == "Robert Jordan"


def test_listening_status_is_used_when_top_level_progress_is_absent() -> None:
    item = {**API_ITEM, "is_finished": None, "percent_complete": None}
    item["listening_status"] = {"is_finished": True, "percent_complete": 100.0}
    out = api_item_to_export(item)
    assert out["is_finished"] is True and out["percent_complete"] == 100.0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"is_finished": None, "percent_complete": None, "listening_status": None}, (False, 0.0)),
        ({"is_finished": True, "percent_complete": None, "listening_status": None}, (True, 100.0)),
        ({"percent_complete": 100.00000001}, (False, 100.0)),
        ({"percent_complete": -0.0001}, (False, 0.0)),
        ({"percent_complete": "12.345"}, (False, 12.35)),
        ({"percent_complete": float("nan"), "listening_status": None}, (False, 0.0)),
    ],
)
def test_progress_edge_cases(fields: dict[str, Any], expected: tuple[bool, float]) -> None:
    out = api_item_to_export({**API_ITEM, **fields})
    assert (out["is_finished"], out["percent_complete"]) == expected


def test_minimal_item_without_optional_groups() -> None:
    out = api_item_to_export({"asin": "B00ABCDEFG", "title": "Solo"})
    assert out["authors"] is None and out["series_title"] is None and out["series_sequence"] is None
    assert out["runtime_length_min"] is None and out["date_added"] is None
    assert parse_library([out]).items[0].title == "Solo"


def test_series_sequence_number_and_empty_series() -> None:
    assert (
        api_item_to_export({**API_ITEM, "series": [{"title": "S", "sequence": 2.0}]})["series_sequence"]
        == "2"
    )
    assert api_item_to_export({**API_ITEM, "series": []})["series_title"] is None
    assert api_item_to_export({**API_ITEM, "series": None})["series_title"] is None


def test_purchase_date_when_library_status_missing_and_issue_date_fallback() -> None:
    out = api_item_to_export({**API_ITEM, "library_status": None, "release_date": None})
    assert out["date_added"] == "2021-01-25T12:43:44.103Z"
    assert out["release_date"] == "2004-10-26"


def test_bad_records_are_left_for_parse_library_to_reject() -> None:
    parsed = parse_library(api_items_to_export([API_ITEM, {"asin": None, "title": "x"}, "junk"]))
    assert len(parsed.items) == 1 and len(parsed.rejected) == 2


def test_response_groups_cover_the_fields_read() -> None:
    assert {"contributors", "series", "percent_complete", "is_finished", "listening_status"} <= set(
        LIBRARY_RESPONSE_GROUPS
    )
