"""Deciding many titles at once on real PostgreSQL: the batch job and the check's run config, adding
what the tracker lacks (job and CLI), and the sync's auto-add."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from pipelines.cli import main
from resources.library_source import demo_library_payload
from tests.support.environment import subprocess_env
from tests.support.sync import allow_next_sync, row_versions, run_sync, sync_definitions

HOBBIT = "B007978NPG"
FOURTH_WING = "B0BW3DS9CH"
NORWEGIAN_WOOD = "B07QWLCS4F"  # unmatched, not started
TABLES = ("books", "audible_book_mappings", "audible_conflicts", "audible_progress_history")

# Titles the demo tracker lacks, written as Audible writes them.
EXTRA_TITLES = [
    {
        "asin": "B079J3VN3J",
        "title": "The Brothers Karamazov [Naxos AudioBooks Edition]",
        "authors": "Constance Garnett - translator, Fyodor Dostoevsky",
        "narrators": "Constantine Gregory",
        "percent_complete": 30.0,
        "is_finished": False,
        "isbn": "9780374528379",
        "runtime_length_min": 2220,
    },
    {
        "asin": "B079X4ZZ42",
        "title": "Matilda",
        "subtitle": "Narrated by Kate Winslet",
        "authors": "Roald Dahl",
        "percent_complete": 0.0,
        "is_finished": True,
        "runtime_length_min": 258,
    },
    {
        "asin": "B07S2YZTNW",
        "title": "Wuthering Heights",
        "authors": "Emily Brontë",
        "percent_complete": 4.0,
        "is_finished": False,
        "runtime_length_min": 720,
    },
]
KARAMAZOV, MATILDA, WUTHERING = (t["asin"] for t in EXTRA_TITLES)


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def _state(engine):
    return {t: row_versions(engine, t) for t in TABLES}


def _library_file(tmp_path) -> str:
    path = tmp_path / "library.json"
    path.write_text(json.dumps(demo_library_payload() + EXTRA_TITLES))
    return str(path)


@pytest.fixture
def synced(database_url, engine, tmp_path):
    """The demo tracker after a sync of the demo library plus three titles it lacks."""
    assert run_sync(database_url).success  # the demo seeds the tracker's books
    assert _sync_file(database_url, engine, _library_file(tmp_path)).success
    return engine


def _sync_file(database_url, engine, library_file, **options):
    allow_next_sync(engine, "demo")
    return run_sync(database_url, account="demo", library_source="file", library_file=library_file, **options)


def _job(database_url, job, op, config, instance=None):
    return (
        sync_definitions(database_url)
        .resolve_job_def(job)
        .execute_in_process(
            run_config={"ops": {op: {"config": config}}},
            instance=instance or dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    )


def _failure(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "expected the run to fail"
    return failures[0].step_failure_data.error.message


def _open_ids(engine):
    return {
        r["asin"]: r["id"] for r in _rows(engine, "SELECT id, asin FROM audible_conflicts WHERE NOT resolved")
    }


# --- resolve_audible_conflicts --------------------------------------------------------------


def test_one_run_applies_every_decision(database_url, synced):
    ids = _open_ids(synced)
    result = _job(
        database_url,
        "resolve_audible_conflicts",
        "resolve_conflicts",
        {
            "decisions": [
                {"conflict_id": ids[HOBBIT], "book_id": 5},
                {"conflict_id": ids[FOURTH_WING], "create_new": True},
            ],
            "resolved_by": "ann",
        },
    )
    assert result.success
    assert _open_ids(synced) == {}
    [hobbit] = _rows(synced, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HOBBIT)
    assert (hobbit["book_id"], hobbit["match_method"], hobbit["confirmed"]) == (5, "manual", True)
    assert (
        float(_rows(synced, "SELECT progress_percent FROM books WHERE id = 5")[0]["progress_percent"]) == 12.5
    )
    [wing] = _rows(synced, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=FOURTH_WING)
    book = _rows(synced, "SELECT * FROM books WHERE id = :i", i=wing["book_id"])[0]
    assert (book["title"], book["author"], book["status"]) == ("Fourth Wing", "Rebecca Yarros", "to_read")
    conflicts = _rows(synced, "SELECT resolution, resolved_by FROM audible_conflicts ORDER BY id")
    assert [c["resolution"] for c in conflicts] == ["linked", "created"]
    assert all(c["resolved_by"].startswith("ann via resolve_audible_conflicts") for c in conflicts)
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "unresolved_conflicts")
    assert check.passed


def test_one_bad_decision_fails_the_whole_list_naming_its_position(database_url, synced):
    ids = _open_ids(synced)
    before = _state(synced)
    result = _job(
        database_url,
        "resolve_audible_conflicts",
        "resolve_conflicts",
        {
            "decisions": [
                {"conflict_id": ids[HOBBIT], "book_id": 5},  # fine on its own
                {"conflict_id": ids[FOURTH_WING], "book_id": 999_999},
                {"conflict_id": 424_242, "ignore": True},
            ]
        },
    )
    assert not result.success
    message = _failure(result)
    assert "decision #3 (conflict_id 424242): conflict_id: conflict 424242 does not exist" in message
    assert "Nothing was changed" in message
    assert _state(synced) == before

    # With every conflict real, the missing book is named by its position and field.
    result = _job(
        database_url,
        "resolve_audible_conflicts",
        "resolve_conflicts",
        {
            "decisions": [
                {"conflict_id": ids[HOBBIT], "book_id": 5},
                {"conflict_id": ids[FOURTH_WING], "book_id": 999_999},
            ]
        },
    )
    message = _failure(result)
    assert f"decision #2 (conflict_id {ids[FOURTH_WING]}): book_id: book 999999 does not exist" in message
    assert _state(synced) == before


def test_create_new_on_a_tracker_that_makes_no_ids_is_refused_before_anything_is_written(
    database_url, synced
):
    ids = _open_ids(synced)
    with synced.begin() as conn:
        conn.execute(sa.text("ALTER TABLE books ALTER COLUMN id DROP IDENTITY"))
    before = _state(synced)
    result = _job(
        database_url,
        "resolve_audible_conflicts",
        "resolve_conflicts",
        {
            "decisions": [
                {"conflict_id": ids[HOBBIT], "book_id": 4},
                {"conflict_id": ids[FOURTH_WING], "create_new": True},
            ]
        },
    )
    assert not result.success
    assert (
        f"decision #2 (conflict_id {ids[FOURTH_WING]}): create_new: books.id (bigint) has no default"
        in _failure(result)
    )
    assert _state(synced) == before


def test_a_failure_halfway_through_keeps_nothing(database_url, synced):
    """The second decision fails only when it is written (the tracker app refuses new books just
    then): the first one, already written in the same transaction, is rolled back with it."""
    ids = _open_ids(synced)
    with synced.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_new_books() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'the tracker app is importing, try again later'; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER refuse_new_books BEFORE INSERT ON books FOR EACH ROW EXECUTE FUNCTION refuse_new_books()"
            )
        )
    before = _state(synced)
    result = _job(
        database_url,
        "resolve_audible_conflicts",
        "resolve_conflicts",
        {
            "decisions": [
                {"conflict_id": ids[HOBBIT], "book_id": 4},
                {"conflict_id": ids[FOURTH_WING], "create_new": True},
            ]
        },
    )
    assert not result.success
    assert "the tracker app is importing, try again later" in _failure(result)
    assert _state(synced) == before


def test_the_checks_copied_run_config_runs_unchanged_with_dagster_job_execute(database_url, synced, tmp_path):
    # Fourth Wing started: the engine says the tracker's book is another author's, so pasting adds it.
    payload = demo_library_payload() + EXTRA_TITLES
    for item in payload:
        if item["asin"] == FOURTH_WING:
            item["percent_complete"] = 3.0
    path = tmp_path / "library-started.json"
    path.write_text(json.dumps(payload))
    result = _sync_file(database_url, synced, str(path))
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "unresolved_conflicts")
    copied = check.metadata["run_config"]
    assert isinstance(copied, dg.TextMetadataValue)  # the UI's Copy button gives exactly this text
    config_file = tmp_path / "config.yaml"
    config_file.write_text(copied.value)
    parsed = yaml.safe_load(copied.value)
    assert parsed["ops"]["resolve_conflicts"]["config"]["decisions"] == [
        {"conflict_id": _open_ids(synced)[HOBBIT], "book_id": 4},
        {"conflict_id": _open_ids(synced)[FOURTH_WING], "create_new": True},
    ]

    env = subprocess_env(AUDIBLE_TRACKER_DATABASE_URL=database_url)
    command = [
        str(Path(sys.executable).with_name("dagster")),
        *("job", "execute", "-m", "pipelines.definitions", "-j", "resolve_audible_conflicts"),
        *("-c", str(config_file)),
    ]
    completed = subprocess.run(
        command, cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert _open_ids(synced) == {}
    mappings = {
        r["asin"]: r
        for r in _rows(
            synced,
            "SELECT m.asin, m.book_id, m.match_method, b.author FROM audible_book_mappings m "
            "JOIN books b ON b.id = m.book_id WHERE m.asin IN (:h, :w)",
            h=HOBBIT,
            w=FOURTH_WING,
        )
    }
    assert mappings[HOBBIT]["book_id"] == 4
    # Never the book the engine called another author's.
    assert mappings[FOURTH_WING]["book_id"] != 31 and mappings[FOURTH_WING]["author"] == "Rebecca Yarros"
    assert _rows(synced, "SELECT status FROM books WHERE id = :i", i=mappings[FOURTH_WING]["book_id"])[0] == {
        "status": "reading"
    }


# --- add_audible_books_to_tracker and add-missing -----------------------------------------------


def _created(engine):
    return {
        r["asin"]: r
        for r in _rows(
            engine,
            "SELECT m.asin, m.book_id, m.confirmed, m.match_method, b.title, b.author, b.isbn, b.status, "
            "b.progress_percent, b.started_at, b.finished_at FROM audible_book_mappings m "
            "JOIN books b ON b.id = m.book_id WHERE m.match_method = 'created'",
        )
    }


def test_the_job_dry_run_lists_and_writes_nothing(database_url, synced):
    before = _state(synced)
    result = _job(
        database_url, "add_audible_books_to_tracker", "add_books_to_tracker", {"all": True, "dry_run": True}
    )
    assert result.success
    assert _state(synced) == before
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    table = output.event_specific_data.metadata["books"].value
    assert "The Brothers Karamazov" in table and "Fyodor Dostoevsky" in table and "Norwegian Wood" in table
    assert "Fourth Wing" not in table  # in a conflict: a person decides


def test_the_job_adds_the_selected_titles_in_one_transaction(database_url, synced):
    result = _job(
        database_url,
        "add_audible_books_to_tracker",
        "add_books_to_tracker",
        {"asins": [KARAMAZOV.lower(), MATILDA]},
    )
    assert result.success
    created = _created(synced)
    assert set(created) == {KARAMAZOV, MATILDA}
    karamazov = created[KARAMAZOV]
    assert (karamazov["title"], karamazov["author"], karamazov["isbn"]) == (
        "The Brothers Karamazov",
        "Fyodor Dostoevsky",
        "9780374528379",
    )
    assert karamazov["status"] == "reading" and float(karamazov["progress_percent"]) == 30.0
    assert karamazov["started_at"] is not None and karamazov["confirmed"]
    matilda = created[MATILDA]
    assert (matilda["title"], matilda["status"]) == ("Matilda", "finished") and matilda[
        "finished_at"
    ] is not None


def test_a_bad_asin_refuses_the_whole_selection(database_url, synced):
    before = _state(synced)
    result = _job(
        database_url,
        "add_audible_books_to_tracker",
        "add_books_to_tracker",
        {"asins": [KARAMAZOV, "B0NOSUCH00"]},
    )
    assert not result.success
    assert "ASIN B0NOSUCH00: not an unmapped title" in _failure(result)
    assert _state(synced) == before


def test_cli_dry_run_then_min_progress_then_all(database_url, synced, monkeypatch, capsys):
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    before = _state(synced)
    assert main(["add-missing", "--all", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "The Brothers Karamazov — Fyodor Dostoevsky" in out and "ISBN 9780374528379" in out
    assert "Would add 4 book(s) to the tracker for account 'demo'; nothing was written." in out
    assert _state(synced) == before

    assert main(["add-missing", "--min-progress", "10"]) == 0
    out = capsys.readouterr().out
    assert "Added 2 book(s)" in out  # Karamazov at 30 %, Matilda finished
    assert f"{WUTHERING}  left out: progress 4 % is below 10 %" in out
    assert set(_created(synced)) == {KARAMAZOV, MATILDA}

    assert main(["add-missing", "--all", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert {b["asin"] for b in added["books"]} == {WUTHERING, NORWEGIAN_WOOD}
    assert set(_created(synced)) == {KARAMAZOV, MATILDA, WUTHERING, NORWEGIAN_WOOD}
    # Nothing left to add; the conflicts stay for a person.
    assert main(["add-missing", "--all"]) == 0
    assert "Added 0 book(s)" in capsys.readouterr().out
    assert set(_open_ids(synced)) == {HOBBIT, FOURTH_WING}


def test_cli_refuses_without_a_choice_and_on_a_tracker_that_makes_no_ids(
    database_url, synced, monkeypatch, capsys
):
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    assert main(["add-missing"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: choose the titles: --all, --asin ASIN … or --min-progress P"
    )
    with synced.begin() as conn:
        conn.execute(sa.text("ALTER TABLE books ALTER COLUMN id DROP IDENTITY"))
    before = _state(synced)
    assert main(["add-missing", "--asin", KARAMAZOV]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "error: books.id (bigint) has no default, so a new book would need"
    )
    assert _state(synced) == before


# --- auto_add_min_progress ------------------------------------------------------------------------


def test_auto_add_is_off_by_default_then_adds_started_titles_on_each_sync(
    database_url, synced, tmp_path, monkeypatch, capsys
):
    assert _created(synced) == {}  # off: the first sync added nothing
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    assert main(["config", "set", "auto_add_min_progress", "5"]) == 0
    assert "auto_add_min_progress: off -> 5" in capsys.readouterr().out
    assert main(["config", "show"]) == 0
    assert "auto_add_min_progress  5" in capsys.readouterr().out

    result = _sync_file(database_url, synced, _library_file(tmp_path))
    assert result.success
    created = _created(synced)
    assert set(created) == {KARAMAZOV, MATILDA}  # 30 % and finished; Wuthering Heights is at 4 %
    assert created[KARAMAZOV]["status"] == "reading" and float(created[KARAMAZOV]["progress_percent"]) == 30.0
    history = _rows(synced, "SELECT asin FROM audible_progress_history WHERE asin = :a", a=KARAMAZOV)
    assert len(history) == 1
    [log] = _rows(synced, "SELECT * FROM audible_sync_logs ORDER BY id DESC LIMIT 1")
    assert log["books_auto_added"] == 2 and log["status"] == "success"
    [stats] = _rows(synced, "SELECT books_auto_added FROM audible_auto_add_stats WHERE account = 'demo'")
    assert stats["books_auto_added"] == 2
    materialized = {
        e.event_specific_data.materialization.asset_key.to_user_string(): e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert materialized["audible_book_mappings"].metadata["books_auto_added"].value == 2
    assert materialized["audible_sync_stats"].metadata["books_auto_added"].value == 2
    # A conflict is never auto-added, whatever its progress: it waits for a person.
    assert set(_open_ids(synced)) == {HOBBIT, FOURTH_WING}

    # Turned off again through the settings job: the next sync adds nothing.
    result = _job(
        database_url, "update_audible_settings", "apply_audible_settings", {"auto_add_min_progress": 0}
    )
    assert result.success
    assert (
        _rows(synced, "SELECT auto_add_min_progress FROM audible_config")[0]["auto_add_min_progress"] is None
    )
    payload = demo_library_payload() + EXTRA_TITLES
    for item in payload:
        if item["asin"] == WUTHERING:
            item["percent_complete"] = 50.0
    path = tmp_path / "library-later.json"
    path.write_text(json.dumps(payload))
    assert _sync_file(database_url, synced, str(path)).success
    assert set(_created(synced)) == {KARAMAZOV, MATILDA}


def test_auto_add_on_a_tracker_without_id_default_warns_and_the_sync_goes_on(database_url, synced, tmp_path):
    with synced.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET auto_add_min_progress = 1"))
        conn.execute(sa.text("ALTER TABLE books ALTER COLUMN id DROP IDENTITY"))
    instance = dg.DagsterInstance.ephemeral()
    result = _sync_file(database_url, synced, _library_file(tmp_path), instance=instance)
    assert result.success
    assert _created(synced) == {}
    logs = [r.user_message for r in instance.all_logs(result.run_id)]
    assert any(
        "nothing auto-added (auto_add_min_progress is 1 %): books.id (bigint) has no default" in m
        for m in logs
    )
