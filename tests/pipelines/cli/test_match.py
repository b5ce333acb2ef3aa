"""`audible-tracker match`: the JSON contract, the table, clear errors, and nothing written."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli.match import add_match_parser, run_match

REPO = Path(__file__).resolve().parents[3]
EVAL = REPO / "tests" / "data" / "matching_eval"

LIBRARY = [
    {"asin": "B000000001", "title": "The Hobbit", "authors": "J. R. R. Tolkien", "narrators": "Andy Serkis"},
    {"asin": "B000000002", "title": "Dune", "authors": "Kim Rosenthal"},
    {"asin": "B000000003", "title": "", "authors": "Nobody"},
    {
        "asin": "B000000004",
        "title": "The Thursday Murder Club",
        "authors": "Richard Osman",
        "isbn": "9780241425442",
    },
]
BOOKS_CSV = 'id,title,author,isbn\n1,The Hobbit,"Tolkien, J.R.R.",\n2,Dune,Frank Herbert,0-441-17271-7\n'


def run(tmp_path: Path, library, books_csv: str, *extra: str) -> tuple[int, str, str]:
    lib = tmp_path / "library.json"
    lib.write_text(library if isinstance(library, str) else json.dumps(library), encoding="utf-8")
    books = tmp_path / "books.csv"
    books.write_text(books_csv, encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_match_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["match", "--library", str(lib), "--books", str(books), *extra])
    out, err = io.StringIO(), io.StringIO()
    code = run_match(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_json_output_follows_the_contract_in_library_order(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, LIBRARY, BOOKS_CSV, "--json")
    assert code == 0 and err == ""
    decisions = json.loads(out)
    assert [d["asin"] for d in decisions] == ["B000000001", "B000000002", "B000000003", "B000000004"]
    hobbit, dune, untitled, absent = decisions
    assert hobbit == {
        "asin": "B000000001",
        "decision": "linked",
        "book_id": 1,
        "method": "fuzzy",
        "confidence": 1.0,
        "candidates": [{"book_id": 1, "score": 1.0}],
        "reason": hobbit["reason"],
    }
    # Same title, clearly another author: the tracker lacks the book, and the closest one is named.
    assert dune["decision"] == "unmatched" and "book_id" not in dune
    assert dune["candidates"][0]["book_id"] == 2 and dune["reason"].startswith("different author")
    assert (
        untitled["decision"] == "unmatched" and untitled["confidence"] == 0 and untitled["candidates"] == []
    )
    assert absent["decision"] == "unmatched"
    for decision in decisions:
        assert set(decision) >= {"asin", "decision", "method", "confidence", "candidates"}


def test_table_output_is_aligned_and_readable(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, LIBRARY, BOOKS_CSV)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["ASIN", "DECISION", "BOOK", "METHOD", "CONF"]
    assert lines[1].startswith("B000000001  linked")
    assert "1 The Hobbit" in lines[1] and "1.000" in lines[1]
    columns = {
        line.index(" linked") if " linked" in line else line.index(" unmatched") for line in lines[1:3]
    }
    assert len(columns) == 1  # the decision column starts at the same place on every row
    assert "2 Dune ?" in lines[2]  # the closest book of an unmatched title is shown
    assert "4 items: 1 linked, 0 conflicts, 3 unmatched" in out


def test_isbn_in_the_library_file_links_by_isbn(tmp_path: Path) -> None:
    library = [{"asin": "B000000009", "title": "Dune (Unabridged)", "isbn": "978-0-441-17271-9"}]
    code, out, _ = run(tmp_path, library, BOOKS_CSV, "--json")
    assert code == 0
    assert json.loads(out)[0] | {"reason": ""} == {
        "asin": "B000000009",
        "decision": "linked",
        "book_id": 2,
        "method": "isbn",
        "confidence": 1.0,
        "candidates": [{"book_id": 2, "score": 1.0}],
        "reason": "",
    }


def test_library_that_is_not_json_is_an_error(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "[{'asin': broken", BOOKS_CSV, "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: library file") and "is not JSON" in err and "line 1" in err
    assert err.count("\n") == 1


def test_library_that_is_not_a_list_is_an_error(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, {"asin": "B000000001"}, BOOKS_CSV, "--json")
    assert code == 2 and out == ""
    assert "must be a JSON list" in err


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"title": "Dune"}, "asin"),
        ({"asin": "B000000005"}, "title"),
        ({"asin": "nope", "title": "Dune"}, "asin"),
    ],
)
def test_bad_library_records_are_named_with_their_field_and_the_rest_still_matches(
    tmp_path, record, field
) -> None:
    code, out, err = run(tmp_path, [LIBRARY[0], record], BOOKS_CSV, "--json")
    assert code == 0
    assert "library item #1" in err and f"field '{field}'" in err
    assert [d["asin"] for d in json.loads(out)] == ["B000000001"]


def test_library_with_no_usable_record_is_an_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, [{"title": "Dune"}], BOOKS_CSV, "--json")
    assert code == 2 and "field 'asin'" in err


@pytest.mark.parametrize(
    ("books_csv", "message"),
    [
        ("title,author\nDune,Frank Herbert\n", "missing id"),
        ("id,author\n1,Frank Herbert\n", "missing title"),
        ("", "missing id, title"),
        ("id,title\n1,Dune\nseven,Emma\n", "row at line 3: field 'id' must be an integer, got 'seven'"),
        ("id,title\n1,Dune\n2,\n", "row at line 3: field 'title' is empty"),
        ("id,title\n1,Dune\n1,Emma\n", "field 'id' 1 appears twice"),
    ],
)
def test_bad_books_csv_is_an_error_naming_the_row_and_field(tmp_path, books_csv: str, message: str) -> None:
    code, out, err = run(tmp_path, LIBRARY, books_csv, "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: books file") and message in err


def test_books_csv_without_author_and_isbn_columns_is_fine(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, LIBRARY[:1], "id,title\n1,The Hobbit\n", "--json")
    assert code == 0
    assert json.loads(out)[0]["decision"] == "conflict"  # one-word title with no author to confirm it


def test_missing_files_are_errors(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_match_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["match", "--library", str(tmp_path / "nope.json"), "--books", str(tmp_path / "x.csv")]
    )
    err = io.StringIO()
    assert run_match(args, stdout=io.StringIO(), stderr=err) == 2
    assert "cannot read library file" in err.getvalue()


def test_preview_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(tmp_path, LIBRARY, BOOKS_CSV)  # creates the two input files
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*")}
    for extra in ((), ("--json",)):
        parser = argparse.ArgumentParser()
        add_match_parser(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["match", "--library", "library.json", "--books", "books.csv", *extra])
        assert run_match(args, stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*")} == before


def test_module_entry_point_runs_on_the_evaluation_set(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "match", "--library", str(EVAL / "library.json"),
         "--books", str(EVAL / "books.csv"), "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    decisions = json.loads(result.stdout)
    labels = json.loads((EVAL / "labels.json").read_text())
    assert [d["asin"] for d in decisions] == list(labels)
