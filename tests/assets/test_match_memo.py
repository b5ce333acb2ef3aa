"""A re-sync matches only what could be decided differently: changed items, changed books, a changed matcher."""

from __future__ import annotations

import json

import sqlalchemy as sa

from domain.matching import MatchSettings
from domain.sync_results import matcher_digest
from resources.library_source import demo_library_payload
from tests.support.sync import allow_next_sync, row_versions, run_sync

NORWEGIAN_WOOD = "B07QWLCS4F"  # unmatched in the demo
HOBBIT = "B007978NPG"  # an open conflict in the demo


def _matches(result) -> dict:
    [materialization] = result.asset_materializations_for_node("audible_book_matches")
    return {key: value.value for key, value in materialization.metadata.items()}


def _resync(database_url, engine, **options):
    allow_next_sync(engine, "demo")
    result = run_sync(database_url, **options)
    assert result.success
    return result


def test_unchanged_library_and_books_are_not_matched_again_nor_the_books_read(database_url, engine):
    first = _matches(run_sync(database_url))
    assert first["matched_now"] > 0 and first["unmatched"] >= 1 and first["conflicts"] >= 1
    with engine.connect() as conn:
        memo = dict(conn.execute(sa.text("SELECT asin, decision FROM audible_match_memo")).all())
    assert memo[NORWEGIAN_WOOD] == "unmatched" and memo[HOBBIT] == "conflict"
    before = row_versions(engine, "audible_conflicts")

    again = _matches(_resync(database_url, engine))

    assert again["matched_now"] == 0 and again["tracker_books_read"] == 0
    assert again["unchanged_since_last_match"] == first["unmatched"] + first["conflicts"]
    assert row_versions(engine, "audible_conflicts") == before


def test_a_new_tracker_book_gets_the_unmapped_items_matched_again(database_url, engine):
    run_sync(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO books (title, author) VALUES ('Norwegian Wood', 'Haruki Murakami')")
        )

    again = _matches(_resync(database_url, engine))

    assert again["matched_now"] > 0 and again["tracker_books_read"] > 0
    with engine.connect() as conn:
        mapped = conn.execute(
            sa.text("SELECT count(*) FROM audible_book_mappings WHERE asin = :a"), {"a": NORWEGIAN_WOOD}
        ).scalar_one()
    assert mapped == 1


def test_a_changed_item_and_a_resolved_conflict_are_matched_again(database_url, engine, tmp_path):
    run_sync(database_url)
    library = demo_library_payload()
    for item in library:
        if item["asin"] == NORWEGIAN_WOOD:
            item["title"] = "Norwegian Wood (Unabridged)"
    library_file = tmp_path / "library.json"
    library_file.write_text(json.dumps(library))
    with engine.begin() as conn:  # a person dismissed the Hobbit's conflict without choosing
        conn.execute(sa.text("DELETE FROM audible_conflicts WHERE asin = :a"), {"a": HOBBIT})

    again = _matches(
        _resync(database_url, engine, library_source="file", library_file=str(library_file), account="demo")
    )

    assert again["matched_now"] == 2
    with engine.connect() as conn:
        reopened = conn.execute(
            sa.text("SELECT count(*) FROM audible_conflicts WHERE asin = :a AND NOT resolved"), {"a": HOBBIT}
        ).scalar_one()
    assert reopened == 1


def test_the_matcher_digest_follows_its_settings():
    assert matcher_digest(MatchSettings()) == matcher_digest(MatchSettings())
    assert matcher_digest(MatchSettings()) != matcher_digest(MatchSettings(margin=0.1))
