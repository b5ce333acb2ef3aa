"""Bad library input through the real sync: bad records are logged and skipped, a bad payload writes nothing."""

from __future__ import annotations

import json

import dagster as dg
import sqlalchemy as sa

from tests.reliability.processes import prepare_tracker, tracker_state
from tests.support.sync import row_versions, run_sync

GOOD = [
    {
        "asin": "B0000000A1",
        "title": "Robert'); DROP TABLE books;--",
        "authors": "Bobby Tables",
        "percent_complete": 12,
    },
    {
        "asin": "B0000000A2",
        "title": "Война и мир: 戦争と平和 — الحرب",
        "authors": "Лев Толстой",
        "percent_complete": 0,
    },
    {"asin": "B0000000A3", "title": "Tab\there\x07bell", "authors": "A\x00B", "percent_complete": 50},
]
BAD = [
    ({"title": "No ASIN at all", "percent_complete": 10}, "#3", "asin"),
    ({"asin": "B0000000B1", "title": "Too far", "percent_complete": 250}, "B0000000B1", "percent_complete"),
    (
        {"asin": "B0000000B2", "title": "Negative", "runtime_length_min": -30},
        "B0000000B2",
        "runtime_length_min",
    ),
    ({"asin": "B0000000B3", "title": "x" * 10_240}, "B0000000B3", "title"),
    ({"asin": "B0000000A1", "title": "Duplicate of the first"}, "B0000000A1", "asin"),
]


def _write(tmp_path, payload) -> str:
    path = tmp_path / "library.json"
    path.write_text(json.dumps(payload))
    return str(path)


def test_bad_records_are_logged_by_record_and_field_and_skipped(database_url, engine, tmp_path):
    prepare_tracker(engine)
    library = _write(tmp_path, GOOD + [raw for raw, _, _ in BAD])
    instance = dg.DagsterInstance.ephemeral()
    result = run_sync(database_url, library_source="file", library_file=library, instance=instance)
    assert result.success
    warnings = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.level >= 30]
    for _, record, field in BAD:
        assert any(record in w and f"field '{field}'" in w for w in warnings), (record, field, warnings)
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT asin, title FROM audible_library_items")).all())
        books = conn.execute(sa.text("SELECT count(*) FROM books")).scalar()
        log = conn.execute(
            sa.text("SELECT status, items_fetched, items_rejected FROM audible_sync_logs")
        ).one()
    # Stored as data, verbatim (control characters turned into spaces); the books table is intact.
    assert stored == {
        "B0000000A1": "Robert'); DROP TABLE books;--",
        "B0000000A2": "Война и мир: 戦争と平和 — الحرب",
        "B0000000A3": "Tab here bell",
    }
    assert books > 20
    assert tuple(log) == ("success", 3, len(BAD))


def test_a_payload_of_the_wrong_shape_fails_the_run_and_writes_nothing(database_url, engine, tmp_path):
    prepare_tracker(engine)
    assert run_sync(database_url, library_source="file", library_file=_write(tmp_path, GOOD)).success
    state = tracker_state(engine)
    versions = {t: row_versions(engine, t) for t in ("books", "audible_book_mappings", "audible_conflicts")}
    for payload in ({"error": "throttled"}, [1, "two", None], "just a string"):
        result = run_sync(
            database_url,
            library_source="file",
            library_file=_write(tmp_path, payload),
            force=True,
            raise_on_error=False,
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert "refused" in failure.step_failure_data.error.message
    assert tracker_state(engine) == state
    assert {t: row_versions(engine, t) for t in versions} == versions
    with engine.connect() as conn:
        statuses = conn.execute(sa.text("SELECT status FROM audible_sync_logs ORDER BY id")).scalars().all()
    assert statuses == ["success", "failed", "failed", "failed"]
