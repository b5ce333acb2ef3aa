"""audible-cli exports in TSV, CSV and JSON: recognised from the content, read alike, errors named by line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from domain.export_formats import (
    EXPORT_COLUMNS,
    ExportFormatError,
    decode_export,
    detect_format,
    parse_export,
)
from domain.library_items import parse_library

REAL_TSV = Path(__file__).resolve().parents[1] / "data" / "real-audible-export" / "library.tsv"

# Two records as audible-cli's export command builds them (cmd_library.py, `_prepare_item`):
# raw values for asin/title/…/is_finished/percent_complete, names joined with ", ", and
# keys left out when Audible gave no value.
RECORDS = [
    {
        "asin": "B0000000A1",
        "title": "The Hobbit",
        "subtitle": "Or There and Back Again",
        "authors": "J. R. R. Tolkien",
        "narrators": "Andy Serkis",
        "series_title": "Middle-earth",
        "series_sequence": "0.5",
        "genres": "Literature & Fiction, Classics",
        "runtime_length_min": 643,
        "is_finished": True,
        "percent_complete": 100.0,
        "rating": "4.8",
        "num_ratings": 12345,
        "date_added": "2021-01-25T12:43:44.103Z",
        "release_date": "2020-09-29",
        "purchase_date": "2021-01-25T12:43:44.103Z",
    },
    {
        "asin": "B0000000A2",
        "title": 'Tabs\tand "quotes", commas',
        "extended_product_description": "<p>Two lines\nof description</p>",
        "authors": "Jane Doe, John Roe",
        "runtime_length_min": 61,
        "is_finished": False,
        "percent_complete": 12.5,
    },
]


def tabular(records, dialect: str) -> str:
    """What audible-cli's export_to_csv writes (csv.DictWriter, empty cell for a missing key)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, dialect=dialect)
    writer.writeheader()
    for record in records:
        writer.writerow(record)
    return out.getvalue()


EXPORTS = {
    "tsv": tabular(RECORDS, "excel-tab"),
    "csv": tabular(RECORDS, "excel"),
    "json": json.dumps(RECORDS, indent=4),
}


@pytest.mark.parametrize("fmt", sorted(EXPORTS))
def test_the_format_is_recognised_from_the_content(fmt):
    assert detect_format(EXPORTS[fmt]) == fmt
    assert parse_export(EXPORTS[fmt], "library file x.json").format == fmt


def test_all_three_formats_give_the_same_library_items():
    items = {fmt: parse_library(parse_export(text)).items for fmt, text in EXPORTS.items()}
    assert items["tsv"] == items["csv"] == items["json"]
    hobbit, tabs = items["tsv"]
    assert hobbit.is_finished is True and hobbit.percent_complete == 100.0
    assert hobbit.runtime_length_min == 643 and hobbit.series_sequence == "0.5"
    assert tabs.title == 'Tabs and "quotes", commas'
    assert tabs.is_finished is False and tabs.percent_complete == 12.5 and tabs.subtitle is None
    assert tabs.authors == "Jane Doe, John Roe"


def test_an_empty_cell_is_a_missing_value_and_each_record_knows_its_line():
    export = parse_export(EXPORTS["tsv"] + tabular(RECORDS[:1], "excel-tab").splitlines()[1] + "\n")
    assert export.records[1]["subtitle"] is None and export.records[1]["series_title"] is None
    assert export.lines == (2, 3, 5)  # the second record's description takes two lines


def test_a_byte_order_mark_and_windows_line_ends_are_read():
    text = "\ufeff" + EXPORTS["csv"].replace("\r\n", "\n").replace("\n", "\r\n")
    assert [i.asin for i in parse_library(parse_export(text)).items] == ["B0000000A1", "B0000000A2"]


def test_a_bad_record_in_a_tsv_is_named_by_its_line_and_field():
    records = [RECORDS[0], {"asin": "B0000000B1", "title": "Too far", "percent_complete": 250}]
    parsed = parse_library(parse_export(tabular(records, "excel-tab")))
    assert [i.asin for i in parsed.items] == ["B0000000A1"]
    (problem,) = parsed.rejected
    assert str(problem).startswith("library item on line 3 (asin 'B0000000B1'): field 'percent_complete'")


def test_an_unbalanced_quote_is_an_error_naming_the_line_it_opens_on():
    lines = tabular(RECORDS[:1], "excel-tab").splitlines()
    broken = "\n".join([*lines, 'B0000000C1\t"Unclosed title\tsub', "B0000000C2\tNext\t"]) + "\n"
    with pytest.raises(
        ExportFormatError, match=r"library file l\.tsv, line 3: a quoted field .* never closed"
    ):
        parse_export(broken, "library file l.tsv")


def test_a_quote_that_swallows_records_is_an_error_naming_the_line():
    header = "asin,title,authors"
    text = f'{header}\nB0000000C1,"Swallows,Anne\nB0000000C2,Next,Bob\nB0000000C3,"Last",Carl\n'
    with pytest.raises(ExportFormatError, match="line 2"):
        parse_export(text, "library file l.csv")


def test_a_row_with_the_wrong_number_of_fields_is_an_error_naming_the_line():
    text = "asin\ttitle\tauthors\nB0000000C1\tOne\tAnne\nB0000000C2\tTwo\tBob\textra\n"
    with pytest.raises(ExportFormatError, match="line 3: 4 fields where the header has 3"):
        parse_export(text, "library file l.tsv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("id,title,author\n1,Dune,Frank Herbert\n", "header has no 'asin' column"),
        ("asin\tasin\ttitle\nB0000000C1\tx\ty\n", "'asin' appears twice"),
        ("just some words\n", "not an audible-cli library export"),
        ('[{"asin": "B0000000C1", "title": }]', r"is not JSON \(line 1, column 34: Expecting value"),
    ],
)
def test_files_that_are_not_exports_are_refused_with_the_reason(text, message):
    with pytest.raises(ExportFormatError, match=message):
        parse_export(text, "library file f")


def test_text_that_is_not_utf8_is_named_by_its_line():
    # The second record's description spans lines 3 and 4, so the bad byte is on line 5.
    raw = EXPORTS["tsv"].encode() + "B0000000C1\tCaf\xe9\n".encode("latin-1")
    with pytest.raises(ExportFormatError, match=r"line 5: not UTF-8 text \(byte 0xe9\)"):
        decode_export(raw, "library file l.tsv")


def test_the_real_export_is_read_whole():
    export = decode_export(REAL_TSV.read_bytes(), "library file library.tsv")
    assert export.format == "tsv" and len(export.records) == 104
    parsed = parse_library(export)
    assert len(parsed.items) == 104 and not parsed.rejected
    by_asin = {item.asin: item for item in parsed.items}
    first = by_asin["0143497421"]  # an ASIN that is an ISBN-10, leading zero kept
    assert first.title == "Mahabharata, Vol. 2 (Part 1)" and first.percent_complete == 1.3
    assert first.is_finished is False and first.series_sequence == "2"
    assert any(item.is_finished for item in parsed.items)
