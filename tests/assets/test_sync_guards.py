"""Guards of the sync: a collapsed library is not written; a second automatic edition of a book asks a person."""

from __future__ import annotations

import json

import dagster as dg

from domain.edition_guard import ANOTHER_EDITION
from resources.library_source import demo_books, demo_library_payload
from resources.queries.books import seed_books
from tests.support.sync import run_sync, sync_definitions
from tests.support.trackers import failure_description, rows

HAIL_MARY, WAY_OF_KINGS = "B08G9PRS1K", "B003ZWFO7E"


def _sync_file(database_url, path, **config) -> dg.ExecuteInProcessResult:
    return (
        sync_definitions(database_url, library_source="file", library_file=str(path))
        .resolve_job_def("audible_sync")
        .execute_in_process(
            run_config={
                "ops": {"audible_library": {"config": {"account": "demo", "force": False, **config}}}
            },
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    )


def _allow(url):
    from tests.support.trackers import execute

    execute(url, "UPDATE audible_config SET last_sync_at = last_sync_at - interval '1 day'")


def _snapshot(url):
    return rows(url, "SELECT asin, percent_complete FROM audible_library_items ORDER BY asin")


def test_an_empty_or_collapsed_library_is_refused_and_nothing_changes(database_url, tmp_path):
    assert run_sync(database_url).success
    before = _snapshot(database_url)
    library = tmp_path / "library.json"

    for payload, shown in (([], "is empty"), (demo_library_payload()[:14], "has 14 titles")):
        library.write_text(json.dumps(payload))
        _allow(database_url)
        message = failure_description(_sync_file(database_url, library))
        assert shown in message and "where the last successful sync had 30" in message
        assert "accept_smaller_library: true" in message and "\n" not in message
        assert _snapshot(database_url) == before
    logs = rows(database_url, "SELECT status, error FROM audible_sync_logs ORDER BY id")
    assert [log["status"] for log in logs] == ["success", "failed", "failed"]

    # Half of the titles is still a library; fewer are written only when accepted.
    library.write_text(json.dumps(demo_library_payload()[:14]))
    _allow(database_url)
    assert _sync_file(database_url, library, accept_smaller_library=True).success
    assert len(_snapshot(database_url)) == 14


def test_a_second_automatic_edition_of_a_linked_book_becomes_a_conflict(database_url, tmp_path):
    assert run_sync(database_url).success
    payload = demo_library_payload()
    prose = next(i for i in payload if i["asin"] == HAIL_MARY)
    # The same book again under other ASINs (a dramatisation with the same ISBN; two parts of Circe).
    payload.append({**prose, "asin": "B0DRAMA001", "percent_complete": 100.0, "is_finished": True})
    circe = next(i for i in payload if i["title"] == "Circe")
    payload.append({**circe, "asin": "B0CIRCE002", "percent_complete": 90.0})
    library = tmp_path / "library.json"
    library.write_text(json.dumps(payload))
    _allow(database_url)
    assert _sync_file(database_url, library).success

    conflicts = {
        c["asin"]: c
        for c in rows(database_url, "SELECT asin, reason FROM audible_conflicts WHERE NOT resolved")
    }
    assert conflicts["B0DRAMA001"]["reason"].startswith(ANOTHER_EDITION)
    assert conflicts["B0DRAMA001"]["reason"].count(HAIL_MARY) == 1
    # Circe was linked by the first sync already: the second part asks too.
    assert conflicts["B0CIRCE002"]["reason"].startswith(ANOTHER_EDITION)
    linked = rows(
        database_url, "SELECT asin FROM audible_book_mappings WHERE asin IN ('B0DRAMA001', 'B0CIRCE002')"
    )
    assert linked == []
    # The book follows only the edition that was linked.
    circe_book = rows(database_url, "SELECT progress_percent FROM books WHERE title = 'Circe'")[0]
    assert float(circe_book["progress_percent"]) == 31.0


def test_two_editions_new_in_the_same_sync_link_once(database_url, engine, tmp_path):
    with engine.begin() as conn:
        seed_books(conn, demo_books())
    payload = demo_library_payload()
    kings = next(i for i in payload if i["asin"] == WAY_OF_KINGS)
    payload.append({**kings, "asin": "B0KINGS002", "percent_complete": 5.0})
    library = tmp_path / "library.json"
    library.write_text(json.dumps(payload))
    assert _sync_file(database_url, library, force=True).success
    linked = rows(database_url, "SELECT asin FROM audible_book_mappings WHERE book_id = 2 ORDER BY asin")
    assert len(linked) == 1
    other = {WAY_OF_KINGS, "B0KINGS002"} - {linked[0]["asin"]}
    reasons = rows(database_url, "SELECT reason FROM audible_conflicts WHERE asin = :a", a=other.pop())
    assert reasons and reasons[0]["reason"].startswith(ANOTHER_EDITION)
