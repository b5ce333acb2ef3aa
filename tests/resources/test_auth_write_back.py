"""The sync's token write-back against logout, login --replace and import, and database errors.

A sync reads the stored credentials, refreshes the access token and writes the
new state back. A person may log out, log in again or import another file
meanwhile; their state is newer and must survive, in either order. Real
PostgreSQL, the real CLI commands, Audible and Amazon faked at the HTTP
boundary (respx).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import respx
import sqlalchemy as sa
from dagster._serdes import serialize_value

from pipelines.cli import main as cli_main
from resources.audible_api import AudibleResource, AudibleSourceError
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, generate_key
from resources.postgres import get_engine
from resources.queries import accounts
from tests.fake_audible import (
    DEREGISTER_URL,
    LIBRARY_URL,
    REDIRECT,
    REFRESH_URL,
    REGISTER_URL,
    FakeLibrary,
    auth_file,
    fake_auth,
    new_access_token,
    refresh_response,
    register_response,
)
from tests.support.sync import run_sync

ACCOUNT = "reader"
LOST_RACE = "changed during this sync"
# Every Fernet token starts with these characters (version byte 0x80, base64).
FERNET_PREFIX = "gAAAAA"


@pytest.fixture
def key(engine: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    key = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, key)
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    return key


@pytest.fixture
def sync_auth(engine: sa.Engine, key: str) -> dict[str, Any]:
    """Stored bearer-mode credentials whose access token has expired: the sync refreshes first."""
    auth = fake_auth(signing=False, expired=True)
    with engine.begin() as conn:
        accounts.store_auth(conn, ACCOUNT, "us", Cipher(key).encrypt_json(auth))
    return auth


def stored_state(engine: sa.Engine, key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = accounts.get_account(conn, ACCOUNT)
    assert row is not None
    return Cipher(key).decrypt_json(row.auth_encrypted) if row.auth_encrypted else None


class Command:
    """One of the commands that replace stored credentials, run in-process as a person would."""

    def __init__(self, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.name = name
        self.new_auth = fake_auth()  # what login/import store
        self.argv = {
            "logout": ["auth", "logout", "--account", ACCOUNT],
            "login": ["auth", "login", "--replace", "--account", ACCOUNT],
            "import": ["auth", "import", str(auth_file(tmp_path, self.new_auth)), "--account", ACCOUNT],
        }[name]
        self.monkeypatch = monkeypatch
        self.exit_code: int | None = None

    def run(self) -> None:
        if self.name == "login":
            self.monkeypatch.setattr("sys.stdin", io.StringIO(REDIRECT + "\n"))
        self.exit_code = cli_main(self.argv)

    def assert_its_state_stands(self, engine: sa.Engine, key: str) -> None:
        assert self.exit_code == 0
        state = stored_state(engine, key)
        if self.name == "logout":
            assert state is None
        else:
            assert state is not None
            assert (state["access_token"], state["refresh_token"]) == (
                self.new_auth["access_token"],
                self.new_auth["refresh_token"],
            )


def amazon_and_audible(command: Command, sync_token: str, when: str) -> tuple[Callable, Callable]:
    """respx side effects for the refresh and the library that run ``command`` at ``when``."""
    library = FakeLibrary(total=3)
    ran: list[bool] = []

    def refresh(request: httpx.Request) -> httpx.Response:
        if when == "before write-back" and not ran:
            ran.append(True)
            command.run()  # the sync has read the blob; its write-back comes after this answer
            return refresh_response(sync_token)
        return refresh_response(sync_token if not ran else new_access_token())

    def library_pages(request: httpx.Request) -> httpx.Response:
        if when == "after write-back" and not ran:
            ran.append(True)
            command.run()  # the sync's refreshed token is stored already
        return library(request)

    return refresh, library_pages


@pytest.mark.parametrize("when", ["before write-back", "after write-back"])
@pytest.mark.parametrize("name", ["logout", "login", "import"])
def test_credentials_stored_by_a_person_during_a_sync_are_kept(
    engine: sa.Engine,
    key: str,
    sync_auth: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    name: str,
    when: str,
) -> None:
    caplog.set_level(logging.INFO)
    command = Command(name, tmp_path, monkeypatch)
    sync_token = new_access_token()
    refresh, library = amazon_and_audible(command, sync_token, when)
    with respx.mock:
        respx.post(REFRESH_URL).mock(side_effect=refresh)
        respx.post(REGISTER_URL).mock(return_value=register_response(command.new_auth))
        deregister = respx.post(DEREGISTER_URL).mock(
            return_value=httpx.Response(200, json={"response": {"success": {}}})
        )
        respx.get(LIBRARY_URL).mock(side_effect=library)
        fetch = AudibleResource(backoff_seconds=0).fetch_library(
            get_engine(), ACCOUNT, logging.getLogger("test.write_back")
        )

    assert len(fetch.items) == 3  # the sync itself goes on with the token it holds
    command.assert_its_state_stands(engine, key)
    lost = [r for r in caplog.records if LOST_RACE in r.getMessage()]
    if when == "before write-back":
        assert len(lost) == 1 and lost[0].levelno == logging.WARNING
        assert "kept them, this sync's refreshed token is not stored" in lost[0].getMessage()
    else:
        assert lost == []
        if name == "logout":
            # Logout deregistered with the token the sync had stored: the write-back came first.
            assert deregister.calls.last.request.headers["x-amz-access-token"] == sync_token


def test_a_sync_after_the_command_refreshes_the_new_credentials(
    engine: sa.Engine,
    key: str,
    sync_auth: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_auth = fake_auth(signing=False, expired=True)
    assert cli_main(["auth", "import", str(auth_file(tmp_path, new_auth)), "--account", ACCOUNT]) == 0
    token = new_access_token()
    with respx.mock:
        respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=2))
        AudibleResource(backoff_seconds=0).fetch_library(get_engine(), ACCOUNT, logging.getLogger("test"))
    state = stored_state(engine, key)
    assert state is not None
    assert (state["access_token"], state["refresh_token"]) == (token, new_auth["refresh_token"])


# -- database errors ------------------------------------------------------------------


def test_engines_hide_bound_parameters(engine: sa.Engine, key: str, sync_auth: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_auth_writes() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'audible_config is read-only'; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER refuse_auth_writes BEFORE UPDATE ON audible_config"
                " FOR EACH ROW EXECUTE FUNCTION refuse_auth_writes()"
            )
        )
        old_blob = accounts.get_account(conn, ACCOUNT).auth_encrypted  # type: ignore[union-attr]
    new_blob = Cipher(key).encrypt_json({"access_token": new_access_token()})
    with pytest.raises(sa.exc.DBAPIError) as info, engine.begin() as conn:
        accounts.update_auth(conn, ACCOUNT, old_blob, new_blob)
    text = str(info.value)
    assert "audible_config is read-only" in text and "SQL parameters hidden" in text
    assert new_blob not in text and old_blob not in text and FERNET_PREFIX not in text


def test_a_database_error_during_write_back_leaves_no_ciphertext_in_the_logs(
    engine: sa.Engine, database_url: str, key: str, sync_auth: dict[str, Any]
) -> None:
    with engine.begin() as conn:
        old_blob = accounts.get_account(conn, ACCOUNT).auth_encrypted  # type: ignore[union-attr]
        # PostgreSQL quotes the whole failing row, ciphertext included, in the
        # detail of a constraint error.
        # (A Fernet token is url-safe base64: nothing to quote.)
        conn.execute(
            sa.text(
                "ALTER TABLE audible_config ADD CONSTRAINT auth_frozen"
                f" CHECK (auth_encrypted IS NULL OR auth_encrypted = '{old_blob}') NOT VALID"
            )
        )
    token = new_access_token()
    instance = dg.DagsterInstance.ephemeral()
    with respx.mock:
        respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        library = respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=2))
        result = run_sync(
            database_url,
            account=ACCOUNT,
            library_source="auto",
            instance=instance,
            raise_on_error=False,
            audible=AudibleResource(backoff_seconds=0),
        )
    assert not result.success and library.call_count == 0
    with engine.connect() as conn:
        error = conn.execute(sa.text("SELECT error FROM audible_sync_logs")).scalar_one()
    assert "storing the refreshed Audible credentials of account 'reader' failed" in error
    assert "CheckViolation, SQLSTATE 23514, constraint auth_frozen" in error
    events = "\n".join(serialize_value(e) for e in instance.all_logs(result.run_id))
    for where, text in {"the sync log": error, "the event log": events}.items():
        assert FERNET_PREFIX not in text, where
        assert token not in text and sync_auth["refresh_token"] not in text, where


def test_the_write_back_error_is_one_line_for_people(
    engine: sa.Engine, key: str, sync_auth: dict[str, Any]
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "ALTER TABLE audible_config ADD CONSTRAINT no_writes CHECK (auth_encrypted IS NULL) NOT VALID"
            )
        )
    with respx.mock:
        respx.post(REFRESH_URL).mock(return_value=refresh_response(new_access_token()))
        with pytest.raises(AudibleSourceError) as info:
            AudibleResource(backoff_seconds=0).fetch_library(engine, ACCOUNT, logging.getLogger("test"))
    assert "\n" not in str(info.value) and info.value.__cause__ is None and info.value.__suppress_context__
