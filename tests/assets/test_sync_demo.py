"""The whole sync on the bundled demo data, against real PostgreSQL."""

from __future__ import annotations

import json

import sqlalchemy as sa

from resources.library_source import demo_library_payload
from tests.support.sync import allow_next_sync, row_versions, run_sync


def _scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def test_demo_sync_maps_links_opens_conflict_and_records_progress(database_url, engine):
    result = run_sync(database_url)
    assert result.success

    mappings = {
        r["asin"]: r for r in _rows(engine, "SELECT * FROM audible_book_mappings WHERE account = 'demo'")
    }
    # ISBN matches, including the tracker's ISBN-10 against the audiobook's ISBN-13.
    assert mappings["B08G9PRS1K"]["book_id"] == 1 and mappings["B08G9PRS1K"]["match_method"] == "isbn"
    assert mappings["B06XKZDBY6"]["book_id"] == 9 and mappings["B06XKZDBY6"]["match_method"] == "isbn"
    # Fuzzy matches through series suffixes and diacritics.
    assert mappings["B003ZWFO7E"]["book_id"] == 2 and mappings["B003ZWFO7E"]["match_method"] == "fuzzy"
    assert mappings["B07D7ZLGSM"]["book_id"] == 24
    assert mappings["B00I2VWW5U"]["book_id"] == 15
    # The Hobbit is in the tracker twice: a person must choose.
    assert "B007978NPG" not in mappings
    # Same title by another author is never linked; absent titles are not linked.
    assert "B0BW3DS9CH" not in mappings
    assert "B07QWLCS4F" not in mappings

    conflicts = _rows(engine, "SELECT * FROM audible_conflicts WHERE NOT resolved")
    hobbit = next(c for c in conflicts if c["asin"] == "B007978NPG")
    assert {c["book_id"] for c in hobbit["candidates"]} >= {4, 5}
    assert hobbit["audible_item"]["title"] == "The Hobbit"
    assert hobbit["reason"]

    books = {r["id"]: r for r in _rows(engine, "SELECT * FROM books")}
    assert books[1]["status"] == "finished" and float(books[1]["progress_percent"]) == 100
    assert books[1]["finished_at"] is not None
    assert books[2]["status"] == "reading" and float(books[2]["progress_percent"]) == 42.37
    assert books[2]["started_at"] is not None
    # A book the reader gave up on keeps that verdict.
    assert books[23]["status"] == "dnf"
    # Unmapped books are untouched.
    assert books[20]["progress_percent"] is None

    history = _rows(engine, "SELECT * FROM audible_progress_history WHERE asin = 'B003ZWFO7E'")
    assert [float(h["percent_complete"]) for h in history] == [42.37]

    log = _rows(engine, "SELECT * FROM audible_sync_logs")
    assert len(log) == 1
    assert log[0]["status"] == "success" and log[0]["source"] == "demo"
    assert log[0]["items_fetched"] == 30
    assert log[0]["mappings_created"] == len(mappings)
    assert log[0]["conflicts_opened"] == len(conflicts)
    assert log[0]["dagster_run_id"] == result.run_id


def test_second_sync_with_unchanged_library_writes_no_rows(database_url, engine):
    assert run_sync(database_url).success
    before = {
        t: row_versions(engine, t)
        for t in ("audible_book_mappings", "books", "audible_progress_history", "audible_conflicts")
    }
    allow_next_sync(engine, "demo")

    assert run_sync(database_url).success

    after = {t: row_versions(engine, t) for t in before}
    assert after == before
    assert _scalar(engine, "SELECT count(*) FROM audible_sync_logs WHERE status = 'success'") == 2


def test_changed_progress_updates_book_and_appends_history(database_url, engine, tmp_path):
    library = demo_library_payload()
    library_file = tmp_path / "library.json"
    library_file.write_text(json.dumps(library))
    assert run_sync(database_url, library_source="demo").success

    for item in library:
        if item["asin"] == "B003ZWFO7E":
            item["percent_complete"] = 57.5
        if item["asin"] == "B002V0QK4C":
            item["is_finished"] = True
            item["percent_complete"] = 100.0
    library_file.write_text(json.dumps(library))
    allow_next_sync(engine, "demo")
    result = run_sync(database_url, library_source="file", library_file=str(library_file), account="demo")
    assert result.success

    books = {r["id"]: r for r in _rows(engine, "SELECT * FROM books WHERE id IN (2, 7)")}
    assert float(books[2]["progress_percent"]) == 57.5 and books[2]["status"] == "reading"
    assert books[7]["status"] == "finished" and books[7]["finished_at"] is not None
    history = _rows(engine, "SELECT asin, percent_complete FROM audible_progress_history ORDER BY id")
    assert [float(h["percent_complete"]) for h in history if h["asin"] == "B003ZWFO7E"] == [42.37, 57.5]
    assert [float(h["percent_complete"]) for h in history if h["asin"] == "B002V0QK4C"] == [63.0, 100.0]
    log = _rows(engine, "SELECT progress_updates FROM audible_sync_logs ORDER BY id DESC LIMIT 1")[0]
    assert log["progress_updates"] == 2
