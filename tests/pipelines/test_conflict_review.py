"""Conflict review end to end: the check, the sensor, the resolution jobs and completions, on real PostgreSQL."""

from __future__ import annotations

import json

import dagster as dg
import httpx
import pytest
import respx
import sqlalchemy as sa

from pipelines.checks import CONFLICTS_CHECK_KEY
from resources import build_resources
from resources.library_source import demo_library_payload
from resources.notify import NOTIFY_WEBHOOK_ENV
from tests.support.sync import allow_next_sync, row_versions, run_sync, sync_definitions

HOBBIT = "B007978NPG"
FOURTH_WING = "B0BW3DS9CH"
HAIL_MARY = "B08G9PRS1K"
WAY_OF_KINGS = "B003ZWFO7E"
OP = {
    "resolve_audible_conflict": "resolve_conflict",
    "link_audible_book": "link_book",
    "unlink_audible_book": "unlink_book",
    "set_audible_mapping_sync": "set_mapping_sync",
}


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def _conflict_id(engine, asin):
    return _rows(engine, "SELECT id FROM audible_conflicts WHERE asin = :a AND NOT resolved", a=asin)[0]["id"]


def _run(database_url, job, config, instance=None, **resource_options):
    defs = sync_definitions(database_url, **resource_options)
    return defs.resolve_job_def(job).execute_in_process(
        run_config={"ops": {OP[job]: {"config": config}}},
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _check(result) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == "unresolved_conflicts")


def _failure(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "expected the run to fail"
    return failures[0].step_failure_data.error.message


def _library_file(tmp_path, changes: dict[str, dict]) -> str:
    payload = demo_library_payload()
    for item in payload:
        item.update(changes.get(item["asin"], {}))
    path = tmp_path / f"library-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(payload))
    return str(path)


def _sync_file(database_url, engine, tmp_path, changes, **options):
    allow_next_sync(engine, "demo")
    return run_sync(
        database_url,
        account="demo",
        library_source="file",
        library_file=_library_file(tmp_path, changes),
        **options,
    )


def test_sync_reports_conflicts_as_a_warn_check_with_table_and_run_config(database_url, engine):
    result = run_sync(database_url)
    assert result.success  # WARN: the sync succeeds with open conflicts
    check = _check(result)
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    table = check.metadata["conflicts"].value
    hobbit = _conflict_id(engine, HOBBIT)
    assert f"| {HOBBIT} " in table and "The Hobbit" in table and "J.R.R. Tolkien" in table
    assert "#4 The Hobbit — J. R. R. Tolkien (1.00)" in table and "#5 The Hobbit" in table
    assert "ambiguous" in table and "Fourth Wing" in table and "different author" in table
    assert check.metadata["open_conflicts"].value == 2
    run_config = check.metadata["run_config"]
    assert isinstance(run_config, dg.TextMetadataValue)
    assert f"- conflict_id: {hobbit}\n          book_id: 4" in run_config.value


def test_resolving_every_conflict_through_the_job_turns_the_check_green(database_url, engine):
    instance = dg.DagsterInstance.ephemeral()
    assert run_sync(database_url, instance=instance).success
    hobbit, wing = _conflict_id(engine, HOBBIT), _conflict_id(engine, FOURTH_WING)

    first = _run(
        database_url,
        "resolve_audible_conflict",
        {"conflict_id": hobbit, "book_id": 5, "resolved_by": "ann"},
        instance,
    )
    assert first.success
    assert not _check(first).passed and _check(first).metadata["open_conflicts"].value == 1
    second = _run(database_url, "resolve_audible_conflict", {"conflict_id": wing, "ignore": True}, instance)
    assert second.success and _check(second).passed

    latest = instance.event_log_storage.get_asset_check_execution_history(CONFLICTS_CHECK_KEY, limit=1)[0]
    assert latest.run_id == second.run_id and latest.event.dagster_event.event_specific_data.passed

    conflict = _rows(engine, "SELECT * FROM audible_conflicts WHERE id = :i", i=hobbit)[0]
    assert conflict["resolved"] and conflict["resolution"] == "linked" and conflict["resolved_book_id"] == 5
    assert conflict["resolved_by"].startswith("ann via resolve_audible_conflict") and conflict["resolved_at"]
    mapping = _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HOBBIT)
    assert [(m["book_id"], m["match_method"], m["confirmed"]) for m in mapping] == [(5, "manual", True)]
    # The current progress is applied at once, without waiting for a sync.
    book = _rows(engine, "SELECT * FROM books WHERE id = 5")[0]
    assert float(book["progress_percent"]) == 12.5 and book["status"] == "reading"
    history = _rows(engine, "SELECT * FROM audible_progress_history WHERE asin = :a", a=HOBBIT)
    assert [(h["book_id"], float(h["percent_complete"])) for h in history] == [(5, 12.5)]
    ignored = _rows(engine, "SELECT * FROM audible_conflicts WHERE id = :i", i=wing)[0]
    assert ignored["resolution"] == "ignored" and ignored["resolved_book_id"] is None


def _evaluate_sensor(database_url, instance, cursor):
    sensor = sync_definitions(database_url).resolve_sensor_def("audible_conflicts_sensor")
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=build_resources(database_url=database_url)
    ) as context:
        return sensor(context)


def test_sensor_reports_a_resolution_made_outside_a_sync_and_only_on_change(database_url, engine):
    instance = dg.DagsterInstance.ephemeral()
    assert run_sync(database_url, instance=instance).success

    first = _evaluate_sensor(database_url, instance, None)
    assert isinstance(first, dg.SensorResult) and not first.run_requests
    [evaluation] = first.asset_events
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    unchanged = _evaluate_sensor(database_url, instance, first.cursor)
    assert isinstance(unchanged, dg.SkipReason) and "unchanged (2)" in unchanged.skip_message

    # Resolved without any sync or job: straight in the database.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE audible_conflicts SET resolved = true, resolution = 'ignored', resolved_by = 'sql', "
                "resolved_at = now() WHERE NOT resolved"
            )
        )
    changed = _evaluate_sensor(database_url, instance, first.cursor)
    [evaluation] = changed.asset_events
    assert evaluation.passed and changed.cursor != first.cursor
    # What the daemon does with the sensor's events: the check's latest result becomes green.
    instance.report_runless_asset_event(evaluation)
    latest = instance.event_log_storage.get_asset_check_execution_history(CONFLICTS_CHECK_KEY, limit=1)[0]
    assert latest.event.dagster_event.event_specific_data.passed


def test_create_new_creates_the_book_and_a_confirmed_mapping(database_url, engine):
    assert run_sync(database_url).success
    wing = _conflict_id(engine, FOURTH_WING)
    result = _run(
        database_url,
        "resolve_audible_conflict",
        {
            "conflict_id": wing,
            "create_new": True,
            "book_data": {"title": "Fourth Wing", "author": "Rebecca Yarros", "isbn": "978-1-64937-404-2"},
        },
    )
    assert result.success
    [book] = _rows(engine, "SELECT * FROM books WHERE author = 'Rebecca Yarros'")
    assert book["title"] == "Fourth Wing" and book["isbn"] == "978-1-64937-404-2"
    [mapping] = _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=FOURTH_WING)
    assert mapping["book_id"] == book["id"] and mapping["match_method"] == "created" and mapping["confirmed"]
    conflict = _rows(engine, "SELECT * FROM audible_conflicts WHERE id = :i", i=wing)[0]
    assert conflict["resolution"] == "created" and conflict["resolved_book_id"] == book["id"]
    # The book the other author wrote is untouched.
    assert _rows(engine, "SELECT progress_percent FROM books WHERE id = 31")[0]["progress_percent"] is None


def test_a_resync_keeps_every_resolution(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    hobbit, wing = _conflict_id(engine, HOBBIT), _conflict_id(engine, FOURTH_WING)
    assert _run(database_url, "resolve_audible_conflict", {"conflict_id": hobbit, "book_id": 4}).success
    assert _run(database_url, "resolve_audible_conflict", {"conflict_id": wing, "ignore": True}).success

    # Progress moves (not a change that matters for matching): nothing reopens.
    result = _sync_file(
        database_url,
        engine,
        tmp_path,
        {HOBBIT: {"percent_complete": 30.0}, FOURTH_WING: {"percent_complete": 5.0}},
    )
    assert result.success and _check(result).passed
    assert _rows(engine, "SELECT count(*) AS n FROM audible_conflicts WHERE NOT resolved")[0]["n"] == 0
    assert [
        m["book_id"] for m in _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HOBBIT)
    ] == [4]
    assert (
        float(_rows(engine, "SELECT progress_percent FROM books WHERE id = 4")[0]["progress_percent"]) == 30.0
    )

    # The ignored title's Audible data change (its subtitle; still by another author than book 31's):
    # the old answer may no longer hold, so the same question is asked again.
    result = _sync_file(
        database_url, engine, tmp_path, {FOURTH_WING: {"subtitle": "The Empyrean, Book 1 (Unabridged)"}}
    )
    assert result.success and not _check(result).passed
    [reopened] = _rows(
        engine, "SELECT * FROM audible_conflicts WHERE asin = :a AND NOT resolved", a=FOURTH_WING
    )
    assert reopened["id"] != wing
    assert reopened["audible_item"]["subtitle"] == "The Empyrean, Book 1 (Unabridged)"
    assert [c["book_id"] for c in reopened["candidates"]] == [31]
    assert _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=FOURTH_WING) == []
    [ignored] = _rows(engine, "SELECT resolved, resolution FROM audible_conflicts WHERE id = :i", i=wing)
    assert ignored == {"resolved": True, "resolution": "ignored"}  # the earlier answer stays on record


def test_shared_account_progress_reaches_both_books_and_skips_a_disabled_mapping(
    database_url, engine, tmp_path
):
    assert run_sync(database_url).success
    hobbit = _conflict_id(engine, HOBBIT)
    assert _run(database_url, "resolve_audible_conflict", {"conflict_id": hobbit, "book_id": 4}).success
    # The second reader of the household: the same ASIN also goes to book 5.
    assert _run(database_url, "link_audible_book", {"asin": HOBBIT, "book_id": 5}).success
    mappings = _rows(
        engine,
        "SELECT book_id, confirmed FROM audible_book_mappings WHERE asin = :a ORDER BY book_id",
        a=HOBBIT,
    )
    assert mappings == [{"book_id": 4, "confirmed": True}, {"book_id": 5, "confirmed": True}]

    assert _sync_file(database_url, engine, tmp_path, {HOBBIT: {"percent_complete": 40.0}}).success
    books = {r["id"]: r for r in _rows(engine, "SELECT * FROM books WHERE id IN (4, 5)")}
    assert float(books[4]["progress_percent"]) == 40.0 and float(books[5]["progress_percent"]) == 40.0

    refused = _run(database_url, "set_audible_mapping_sync", {"asin": HOBBIT, "enabled": False})
    assert not refused.success and "give book_id" in _failure(refused)
    assert _run(
        database_url, "set_audible_mapping_sync", {"asin": HOBBIT, "book_id": 5, "enabled": False}
    ).success
    book5_before = row_versions(engine, "books")[5]
    assert _sync_file(database_url, engine, tmp_path, {HOBBIT: {"percent_complete": 60.0}}).success
    books = {r["id"]: r for r in _rows(engine, "SELECT * FROM books WHERE id IN (4, 5)")}
    assert float(books[4]["progress_percent"]) == 60.0 and float(books[5]["progress_percent"]) == 40.0
    assert row_versions(engine, "books")[5] == book5_before

    # Enabling it again brings book 5 up to date at once.
    assert _run(
        database_url, "set_audible_mapping_sync", {"asin": HOBBIT, "book_id": 5, "enabled": True}
    ).success
    assert (
        float(_rows(engine, "SELECT progress_percent FROM books WHERE id = 5")[0]["progress_percent"]) == 60.0
    )


def test_a_confirmed_link_replaces_the_automatic_mapping_and_survives_a_sync(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    assert [
        m["book_id"]
        for m in _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HAIL_MARY)
    ] == [1]
    result = _run(database_url, "link_audible_book", {"asin": HAIL_MARY, "book_id": 23})
    assert result.success
    assert _sync_file(database_url, engine, tmp_path, {}).success
    mappings = _rows(
        engine, "SELECT book_id, confirmed FROM audible_book_mappings WHERE asin = :a", a=HAIL_MARY
    )
    assert mappings == [{"book_id": 23, "confirmed": True}]


def test_link_can_create_a_book_for_a_title_absent_from_the_tracker(database_url, engine):
    assert run_sync(database_url).success
    unmatched = "B07QWLCS4F"  # Norwegian Wood: no tracker book, no conflict
    result = _run(
        database_url,
        "link_audible_book",
        {
            "asin": unmatched,
            "create_new": True,
            "book_data": {"title": "Norwegian Wood", "author": "Haruki Murakami"},
        },
    )
    assert result.success
    [mapping] = _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=unmatched)
    assert mapping["match_method"] == "created" and mapping["confirmed"]
    assert (
        _rows(engine, "SELECT title FROM books WHERE id = :i", i=mapping["book_id"])[0]["title"]
        == "Norwegian Wood"
    )


def test_unlink_keeps_the_title_unmapped_until_asked_to_rematch(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    assert _run(database_url, "unlink_audible_book", {"asin": HAIL_MARY}).success
    assert _sync_file(database_url, engine, tmp_path, {}).success
    assert _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HAIL_MARY) == []

    refused = _run(database_url, "unlink_audible_book", {"asin": HAIL_MARY})
    assert not refused.success and "has no mapping" in _failure(refused)
    # Relinking by hand is always possible, and rematch lets the sync decide again.
    assert _run(database_url, "link_audible_book", {"asin": HAIL_MARY, "book_id": 1}).success
    assert _run(database_url, "unlink_audible_book", {"asin": HAIL_MARY, "rematch": True}).success
    assert _sync_file(database_url, engine, tmp_path, {}).success
    [mapping] = _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HAIL_MARY)
    assert mapping["book_id"] == 1 and mapping["match_method"] == "isbn" and not mapping["confirmed"]


BAD_CONFIGS = [
    ("resolve_audible_conflict", {"conflict_id": 999_999, "book_id": 4}, "conflict 999999 does not exist"),
    ("resolve_audible_conflict", {"conflict_id": "HOBBIT", "book_id": 4, "ignore": True}, "exactly one of"),
    ("resolve_audible_conflict", {"conflict_id": "HOBBIT"}, "got none"),
    (
        "resolve_audible_conflict",
        {"conflict_id": "HOBBIT", "create_new": True, "book_data": {"title": "  "}},
        "title is empty",
    ),
    ("resolve_audible_conflict", {"conflict_id": "HOBBIT", "book_id": 999_999}, "book 999999 does not exist"),
    (
        "resolve_audible_conflict",
        {"conflict_id": "HOBBIT", "create_new": True, "book_data": {"title": "X", "status": "done"}},
        "must be one of to_read",
    ),
    (
        "resolve_audible_conflict",
        {"conflict_id": "HOBBIT", "create_new": True, "book_data": {"title": "X", "isbn": "123"}},
        "not a valid ISBN",
    ),
    ("link_audible_book", {"asin": "B000NOSUCH", "book_id": 4}, "not in the last synced library"),
    (
        "link_audible_book",
        {"asin": HOBBIT, "book_id": 4, "account": "nobody"},
        "no Audible account named 'nobody' is configured",
    ),
    ("set_audible_mapping_sync", {"asin": HOBBIT, "enabled": False}, "has no mapping"),
]


@pytest.mark.parametrize(("job", "config", "message"), BAD_CONFIGS, ids=[m for _, _, m in BAD_CONFIGS])
def test_bad_config_gives_a_clear_error_and_changes_nothing(database_url, engine, job, config, message):
    assert run_sync(database_url).success
    if config.get("conflict_id") == "HOBBIT":
        config = {**config, "conflict_id": _conflict_id(engine, HOBBIT)}
    tables = ("books", "audible_book_mappings", "audible_conflicts", "audible_progress_history")
    before = {t: row_versions(engine, t) for t in tables}
    result = _run(database_url, job, config)
    assert not result.success
    error = _failure(result)
    assert message in error and "Nothing was changed" in error
    assert {t: row_versions(engine, t) for t in tables} == before


def test_resolving_an_already_resolved_conflict_is_refused(database_url, engine):
    assert run_sync(database_url).success
    hobbit = _conflict_id(engine, HOBBIT)
    assert _run(database_url, "resolve_audible_conflict", {"conflict_id": hobbit, "book_id": 4}).success
    before = row_versions(engine, "audible_book_mappings")
    again = _run(database_url, "resolve_audible_conflict", {"conflict_id": hobbit, "book_id": 5})
    assert not again.success
    assert f"conflict {hobbit} ({HOBBIT}) was already resolved: linked to book 4" in _failure(again)
    assert row_versions(engine, "audible_book_mappings") == before


def _completions(result):
    return [
        e.event_specific_data.asset_observation
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
        and e.event_specific_data.asset_observation.metadata.get("event")
        and e.event_specific_data.asset_observation.metadata["event"].value == "audible_book_finished"
    ]


def test_a_book_finished_since_the_last_sync_emits_an_event_and_calls_the_webhook(
    database_url, engine, tmp_path, monkeypatch
):
    first = run_sync(database_url)
    # Titles finished before the first sync are history, not news.
    assert _completions(first) == []
    monkeypatch.setenv(NOTIFY_WEBHOOK_ENV, "https://hooks.example.test/finished?token=s3cret")
    with respx.mock(assert_all_called=True) as router:
        route = router.post("https://hooks.example.test/finished?token=s3cret").mock(
            return_value=httpx.Response(204)
        )
        result = _sync_file(
            database_url, engine, tmp_path, {WAY_OF_KINGS: {"is_finished": True, "percent_complete": 100.0}}
        )
    assert result.success
    [observation] = _completions(result)
    assert observation.asset_key == dg.AssetKey("tracker_book_progress")
    assert observation.metadata["book_id"].value == 2
    assert observation.metadata["title"].value == "The Way of Kings"
    finished_at = _rows(engine, "SELECT finished_at FROM books WHERE id = 2")[0]["finished_at"]
    assert observation.metadata["finished_at"].value == finished_at.isoformat()
    [call] = route.calls
    body = json.loads(call.request.content)
    assert body["event"] == "audible_book_finished" and body["book_id"] == 2
    assert body["title"] == "The Way of Kings" and body["finished_at"] == finished_at.isoformat()


def test_a_failing_webhook_is_logged_and_never_fails_the_sync(database_url, engine, tmp_path, monkeypatch):
    assert run_sync(database_url).success
    instance = dg.DagsterInstance.ephemeral()
    monkeypatch.setenv(NOTIFY_WEBHOOK_ENV, "https://hooks.example.test/finished?token=s3cret")
    with respx.mock() as router:
        router.post("https://hooks.example.test/finished?token=s3cret").mock(return_value=httpx.Response(500))
        result = _sync_file(
            database_url,
            engine,
            tmp_path,
            {WAY_OF_KINGS: {"is_finished": True, "percent_complete": 100.0}},
            instance=instance,
        )
    assert result.success
    assert _rows(engine, "SELECT status FROM books WHERE id = 2")[0]["status"] == "finished"
    logs = [record.user_message for record in instance.all_logs(result.run_id)]
    warnings = [m for m in logs if "Completion webhook" in m]
    assert warnings == [
        "Completion webhook answered HTTP 500 for 'The Way of Kings'; the sync itself succeeded"
    ]
    assert not any("s3cret" in m for m in logs)


def test_no_webhook_is_called_when_none_is_configured(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    with respx.mock(assert_all_mocked=True) as router:
        result = _sync_file(
            database_url, engine, tmp_path, {WAY_OF_KINGS: {"is_finished": True, "percent_complete": 100.0}}
        )
        assert router.calls.call_count == 0
    assert result.success and len(_completions(result)) == 1


def test_the_code_location_offers_the_review_tools():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    jobs = {job.name for job in repo.get_all_jobs()}
    assert set(OP) <= jobs
    assert "audible_conflicts_sensor" in {s.name for s in repo.sensor_defs}
    # The check runs as part of every sync.
    assert (
        CONFLICTS_CHECK_KEY in defs.resolve_job_def("audible_sync").asset_layer.asset_graph.asset_check_keys
    )


def test_the_readme_run_configs_are_valid_for_their_job():
    import re
    from pathlib import Path

    import yaml

    from pipelines.definitions import defs

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reviewing conflicts", 1)[1].split("\n## ", 1)[0]
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    job_of_op = {
        "resolve_conflicts": "resolve_audible_conflicts",
        "resolve_conflict": "resolve_audible_conflict",
    }
    assert sorted(op for block in blocks for op in block["ops"]) == sorted(job_of_op)
    for block in blocks:
        [op] = block["ops"]
        assert dg.validate_run_config(defs.resolve_job_def(job_of_op[op]), block)


def test_an_asin_typed_in_lower_case_is_found(database_url, engine):
    assert run_sync(database_url).success
    assert _run(database_url, "link_audible_book", {"asin": HAIL_MARY.lower(), "book_id": 23}).success
    assert _rows(
        engine, "SELECT book_id, confirmed FROM audible_book_mappings WHERE asin = :a", a=HAIL_MARY
    ) == [{"book_id": 23, "confirmed": True}]
