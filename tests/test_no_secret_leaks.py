"""A real sync through the API source leaves no credential anywhere a person can read.

Audible is faked at the HTTP boundary only (respx); the job, the resource, the
audible package and PostgreSQL are real. After each run we search the Dagster
event log, the sync log rows, every other table, and everything written to
logs, stdout and stderr for the tokens, cookies, device key and ciphertext;
and a persistent Dagster instance's storage (runs, run snapshots, event logs,
schedules) and the UI's resource and launchpad queries for the database
password.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import respx
import sqlalchemy as sa
from dagster._serdes import serialize_value

from pipelines.definitions import build_definitions
from resources import resources_from_env
from resources.audible_api import AudibleResource
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, generate_key
from resources.postgres import DATABASE_URL_ENV
from resources.queries import accounts
from tests.fake_audible import (
    LIBRARY_URL,
    REFRESH_URL,
    FakeLibrary,
    fake_auth,
    new_access_token,
    refresh_response,
    secret_strings,
)
from tests.support.environment import subprocess_env
from tests.support.sync import run_sync

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "reader"
BOOKS = [
    {"id": 1, "title": "Title 1", "author": "Author 1", "isbn": None, "status": "reading"},
    {"id": 2, "title": "Title 2", "author": "Author 2", "isbn": None, "status": "to_read"},
]


@pytest.fixture
def stored_account(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], str, str]:
    """A test account whose access token has expired, so the sync refreshes and stores it."""
    key = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, key)
    auth = fake_auth(signing=False, expired=True)
    blob = Cipher(key).encrypt_json(auth)
    with engine.begin() as conn:
        accounts.store_auth(conn, ACCOUNT, "us", blob)
        conn.execute(
            sa.text(
                "INSERT INTO books (id, title, author, isbn, status) VALUES (:id, :title, :author, :isbn, :status)"
            ),
            BOOKS,
        )
    return auth, key, blob


def forbidden(auth: dict[str, Any], key: str, blob: str, *more: str) -> list[str]:
    return [*secret_strings(auth), key, blob[:32], *more]


def database_text(engine: sa.Engine) -> str:
    """Every row of every table except the encrypted config, as text."""
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'audible_config'"
            )
        ).scalars()
        return "\n".join(
            str(row) for table in list(tables) for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))
        )


def event_log_text(instance: dg.DagsterInstance, run_id: str) -> str:
    return "\n".join(serialize_value(entry) for entry in instance.all_logs(run_id))


def assert_absent(haystacks: dict[str, str], secrets: list[str]) -> None:
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a credential appears in {where}"


def test_api_sync_leaks_no_secret(
    engine: sa.Engine,
    database_url: str,
    stored_account: tuple[dict[str, Any], str, str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    auth, key, blob = stored_account
    caplog.set_level(logging.DEBUG)
    token = new_access_token()
    instance = dg.DagsterInstance.ephemeral()
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=25))
        result = run_sync(
            database_url,
            account=ACCOUNT,
            library_source="auto",
            instance=instance,
            audible=AudibleResource(page_size=10, backoff_seconds=0),
        )
    assert result.success and refresh.call_count == 1

    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT * FROM audible_sync_logs")).mappings().one()
        new_blob = accounts.get_account(conn, ACCOUNT).auth_encrypted  # type: ignore[union-attr]
    assert (log["source"], log["status"], log["items_fetched"]) == ("api", "success", 25)
    assert log["api_calls"] == 4  # one refresh + three pages
    # The refreshed token was stored, encrypted.
    assert Cipher(key).decrypt_json(new_blob)["access_token"] == token

    materialization = result.asset_materializations_for_node("audible_library")[0]
    assert materialization.metadata["source"].value == "api"

    out, err = capfd.readouterr()
    assert_absent(
        {
            "the Dagster event log": event_log_text(instance, result.run_id),
            "the sync log table": str(dict(log)),
            "the database": database_text(engine),
            "captured logs": caplog.text,
            "stdout/stderr": out + err,
        },
        forbidden(auth, key, blob, token, new_blob[:32]),
    )
    assert "page 2/3 fetched (20 of 25 titles)" in event_log_text(instance, result.run_id)


def test_failed_api_sync_is_logged_clearly_without_secrets(
    engine: sa.Engine,
    database_url: str,
    stored_account: tuple[dict[str, Any], str, str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    auth, key, blob = stored_account
    token = new_access_token()
    instance = dg.DagsterInstance.ephemeral()
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        library = respx.get(LIBRARY_URL).mock(
            return_value=httpx.Response(500, json={"message": f"internal error for {auth['access_token']}"})
        )
        result = run_sync(
            database_url,
            account=ACCOUNT,
            library_source="auto",
            instance=instance,
            raise_on_error=False,
            audible=AudibleResource(max_retries=2, backoff_seconds=0, page_size=500),
        )
    assert not result.success and library.call_count == 3

    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT * FROM audible_sync_logs")).mappings().one()
    assert log["status"] == "failed"
    assert "HTTP 500" in log["error"] and "1.0/library" in log["error"] and "'reader'" in log["error"]
    assert "after 3 attempts" in log["error"]
    # The calls spent before the failure are recorded too.
    assert log["api_calls"] == library.call_count + refresh.call_count

    out, err = capfd.readouterr()
    assert_absent(
        {
            "the Dagster event log": event_log_text(instance, result.run_id),
            "the sync log table": str(dict(log)),
            "the database": database_text(engine),
            "captured logs": caplog.text,
            "stdout/stderr": out + err,
        },
        forbidden(auth, key, blob, token),
    )


# The contract command, in its own process. respx cannot reach into another
# process, so the process starts through this wrapper, which installs the same
# HTTP-boundary fake and then runs the real `dagster` command line.
WRAPPER = textwrap.dedent(
    """
    import os, sys
    import respx
    from tests.fake_audible import LIBRARY_URL, REFRESH_URL, FakeLibrary, refresh_response

    router = respx.mock(assert_all_called=False)
    router.start()
    router.post(REFRESH_URL).mock(return_value=refresh_response(os.environ["FAKE_NEW_ACCESS_TOKEN"]))
    router.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=int(os.environ["FAKE_LIBRARY_SIZE"])))
    from dagster._cli import main
    sys.argv = ["dagster", "job", "execute", "-m", "pipelines.definitions", "-j", "audible_sync"]
    try:
        main()
    finally:
        router.stop()
    """
)


def test_dagster_job_execute_uses_the_api_source(
    engine: sa.Engine,
    database_url: str,
    stored_account: tuple[dict[str, Any], str, str],
    tmp_path: Path,
) -> None:
    auth, key, blob = stored_account
    token = new_access_token()
    wrapper = tmp_path / "dagster_with_fake_audible.py"
    wrapper.write_text(WRAPPER)
    env = subprocess_env(
        AUDIBLE_TRACKER_DATABASE_URL=database_url,
        **{ENCRYPTION_KEY_ENV: key},
        FAKE_NEW_ACCESS_TOKEN=token,
        FAKE_LIBRARY_SIZE="1234",
        PYTHONPATH=str(REPO_ROOT),
    )
    completed = subprocess.run(
        [sys.executable, str(wrapper)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT * FROM audible_sync_logs")).mappings().one()
        new_blob = accounts.get_account(conn, ACCOUNT).auth_encrypted  # type: ignore[union-attr]
    assert (log["account"], log["source"], log["status"]) == (ACCOUNT, "api", "success")
    assert (log["items_fetched"], log["api_calls"]) == (1234, 3)  # refresh + two pages of 1,000
    assert Cipher(key).decrypt_json(new_blob)["access_token"] == token
    assert "page 2/2 fetched (1,234 of 1,234 titles)" in completed.stdout + completed.stderr
    assert_absent(
        {"the command's output": completed.stdout + completed.stderr, "the database": database_text(engine)},
        forbidden(auth, key, blob, token, new_blob[:32]),
    )


# -- the database password in Dagster's storage and UI ------------------------------------


def url_with_password(database_url: str) -> tuple[str, str]:
    """The test database's URL with a password in it, and that password.

    A server that asks for no password (the embedded one, a trust setup)
    ignores the made-up one; a URL that already has one keeps it.
    """
    url = sa.make_url(database_url)
    password = url.password or "pw-Secret-" + generate_key()[:24]
    return url.set(password=password).render_as_string(hide_password=False), password


def sqlite_storage_text(home: Path) -> str:
    """Every value of every table of the instance's SQLite files, snapshots decompressed."""

    def as_text(value: Any) -> str:
        if isinstance(value, bytes):
            try:
                return zlib.decompress(value).decode("utf-8", "replace")
            except zlib.error:
                return value.decode("utf-8", "replace")
        return str(value)

    chunks: list[str] = []
    for path in sorted(home.rglob("*.db")):
        with sqlite3.connect(path) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                chunks.extend(as_text(v) for row in db.execute(f'SELECT * FROM "{table}"') for v in row)
    return "\n".join(chunks)


def other_files_text(home: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in sorted(home.rglob("*"))
        if p.is_file() and p.suffix != ".db"
    )


def run_record_text(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.job_snapshot_id and run.execution_plan_snapshot_id
    return "\n".join(
        [
            serialize_value(run),
            serialize_value(instance.get_job_snapshot(run.job_snapshot_id)),
            serialize_value(instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)),
            event_log_text(instance, run_id),
        ]
    )


UI_QUERY = """
query Resources($repository: RepositorySelector!, $pipeline: PipelineSelector!) {
  allTopLevelResourceDetailsOrError(repositorySelector: $repository) {
    __typename
    ... on ResourceDetailsList {
      results {
        name
        configuredValues { key value type }
        configFields { name defaultValueAsJson }
      }
    }
  }
  runConfigSchemaOrError(selector: $pipeline) {
    __typename
    ... on RunConfigSchema { rootDefaultYaml }
  }
}
"""

SCHEDULE_STATE = """
query State($schedule: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $schedule) { ... on Schedule { scheduleState { id } } }
}
"""
# Switching the schedule off and on again, as from the UI, stores its state in schedule storage.
STOP_SCHEDULE = """
mutation Stop($id: String!) { stopRunningSchedule(id: $id) { __typename } }
"""
START_SCHEDULE = """
mutation Start($schedule: ScheduleSelector!) { startSchedule(scheduleSelector: $schedule) { __typename } }
"""


def ui_responses(instance: dg.DagsterInstance) -> tuple[dict[str, Any], str]:
    """What the webserver's GraphQL answers for the Resources page and the launchpad.

    The code location is loaded from workspace.yaml in its own process, as the
    webserver does; switching the hourly schedule off and on writes to schedule
    storage.
    """
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    with define_out_of_process_context(str(REPO_ROOT / "workspace.yaml"), None, instance) as context:
        location = context.code_location_names[0]
        repository = {"repositoryLocationName": location, "repositoryName": "__repository__"}
        answer = execute_dagster_graphql(
            context,
            UI_QUERY,
            {"repository": repository, "pipeline": {**repository, "pipelineName": "audible_sync"}},
        )
        schedule = {"schedule": {**repository, "scheduleName": "audible_sync_hourly"}}
        state = execute_dagster_graphql(context, SCHEDULE_STATE, schedule)
        state_id = state.data["scheduleOrError"]["scheduleState"]["id"]
        stopped = execute_dagster_graphql(context, STOP_SCHEDULE, {"id": state_id})
        started = execute_dagster_graphql(context, START_SCHEDULE, schedule)
    assert stopped.data["stopRunningSchedule"]["__typename"] == "ScheduleStateResult", stopped.data
    assert started.data["startSchedule"]["__typename"] == "ScheduleStateResult", started.data
    return answer.data, json.dumps(answer.data)


def test_the_database_password_stays_out_of_dagster_storage_and_the_ui(
    engine: sa.Engine,
    database_url: str,
    stored_account: tuple[dict[str, Any], str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth, key, blob = stored_account
    url, password = url_with_password(database_url)
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    home = tmp_path / "dagster_home"
    home.mkdir()
    defs = build_definitions(resources_from_env())
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        with respx.mock:
            respx.post(REFRESH_URL).mock(return_value=refresh_response(new_access_token()))
            respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=3))
            result = defs.resolve_job_def("audible_sync").execute_in_process(
                run_config={"ops": {"audible_library": {"config": {"account": ACCOUNT}}}}, instance=instance
            )
        assert result.success
        ui, ui_text = ui_responses(instance)
        run_text = run_record_text(instance, result.run_id)
    storage_text = sqlite_storage_text(home)

    # Where the URL would be, the variable's name is.
    postgres = next(r for r in ui["allTopLevelResourceDetailsOrError"]["results"] if r["name"] == "postgres")
    assert {"key": "database_url", "value": DATABASE_URL_ENV, "type": "ENV_VAR"} in postgres[
        "configuredValues"
    ]
    assert (
        result.run_id in storage_text and DATABASE_URL_ENV in storage_text
    )  # the search reads the snapshots
    assert "audible_sync_hourly" in storage_text  # and the schedule storage
    for where, text in {
        "the instance's SQLite storage": storage_text,
        "other files of the instance": other_files_text(home),
        "the run, its snapshots and event log": run_text,
        "the UI's resource and launchpad queries": ui_text,
    }.items():
        assert password not in text, f"the database password appears in {where}"
        assert blob[:32] not in text and key not in text, f"a credential appears in {where}"
        for secret in secret_strings(auth):
            assert secret not in text, f"a credential appears in {where}"
