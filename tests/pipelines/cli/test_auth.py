"""`audible-tracker auth …`, `keygen`, `rotate-key` against real PostgreSQL and a fake Amazon (respx)."""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa
from cryptography.fernet import Fernet

from pipelines.cli import main
from pipelines.cli.auth import add_auth_parsers
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, generate_key
from resources.queries import accounts
from tests.fake_audible import (
    DEREGISTER_URL,
    REDIRECT,
    REFRESH_URL,
    REGISTER_URL,
    auth_file,
    fake_auth,
    new_access_token,
    refresh_response,
    register_response,
    secret_strings,
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="audible-tracker")
    add_auth_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    key = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, key)
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    return key


def stored(engine: sa.Engine, account: str = "default") -> accounts.AccountRow | None:
    with engine.connect() as conn:
        return accounts.get_account(conn, account)


def store(engine: sa.Engine, key: str, auth: dict[str, Any], account: str = "default") -> None:
    with engine.begin() as conn:
        accounts.store_auth(conn, account, auth["locale_code"], Cipher(key).encrypt_json(auth))


def assert_clean(text: str, auth: dict[str, Any], *extra: str) -> None:
    for secret in [*secret_strings(auth), *extra]:
        assert secret not in text


# -- keygen ------------------------------------------------------------------------


def test_keygen_prints_only_a_key_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("keygen") == 0
    out, err = capsys.readouterr()
    Fernet(out.strip().encode())
    assert len(out.strip().splitlines()) == 1 and "rotate-key" in err


# -- login -----------------------------------------------------------------------


def test_login_registers_and_stores_encrypted(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth()
    monkeypatch.setattr("sys.stdin", io.StringIO(REDIRECT + "\n"))
    with respx.mock:
        register = respx.post(REGISTER_URL).mock(return_value=register_response(auth))
        assert run("auth", "login", "--locale", "us", "--account", "alice") == 0
    sent = json.loads(register.calls.last.request.content)
    assert sent["auth_data"]["authorization_code"] == "ANFAKEAUTHCODE0123456789"
    row = stored(engine, "alice")
    assert row is not None and row.source == "api" and row.marketplace == "us"
    assert row.auth_encrypted and auth["access_token"] not in row.auth_encrypted
    data = Cipher(key).decrypt_json(row.auth_encrypted)
    assert data["refresh_token"] == auth["refresh_token"] and data["locale_code"] == "us"
    out, err = capsys.readouterr()
    assert "https://www.amazon.com/ap/signin?" in out and "Stored credentials for account 'alice'" in out
    assert "ANFAKEAUTHCODE" not in out + err
    assert_clean(out + err + repr(row), auth)


def test_login_checks_the_key_before_registering_a_device(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENCRYPTION_KEY_ENV)
    monkeypatch.setattr("sys.stdin", io.StringIO(REDIRECT + "\n"))
    with respx.mock:
        register = respx.post(REGISTER_URL).mock(return_value=register_response(fake_auth()))
        assert run("auth", "login") == 1
    assert register.call_count == 0
    assert "audible-tracker keygen" in capsys.readouterr().err
    assert stored(engine) is None


def test_login_refuses_to_overwrite_stored_credentials(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store(engine, key, fake_auth())
    monkeypatch.setattr("sys.stdin", io.StringIO(REDIRECT + "\n"))
    with respx.mock:
        register = respx.post(REGISTER_URL).mock(return_value=register_response(fake_auth()))
        assert run("auth", "login") == 1
    assert register.call_count == 0
    assert "auth logout --account default" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("https://www.amazon.com/ap/maplanding?openid.mode=cancel", "no authorization code"),
        ("", "no address"),
    ],
)
def test_login_with_a_bad_redirect(
    engine: sa.Engine,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pasted: str,
    message: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(pasted + "\n"))
    with respx.mock:
        register = respx.post(REGISTER_URL).mock(return_value=register_response(fake_auth()))
        assert run("auth", "login") == 1
    assert register.call_count == 0 and message in capsys.readouterr().err
    assert stored(engine) is None


def test_login_when_amazon_refuses_registration(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(REDIRECT + "\n"))
    with respx.mock:
        respx.post(REGISTER_URL).mock(
            return_value=httpx.Response(400, json={"response": {"error": {"code": "InvalidValue"}}})
        )
        assert run("auth", "login") == 1
    assert "refused the device registration" in capsys.readouterr().err
    assert stored(engine) is None


# -- import ----------------------------------------------------------------------


def test_import_plain_file(
    engine: sa.Engine, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth(locale="de")
    path = auth_file(tmp_path, auth)
    assert run("auth", "import", str(path)) == 0
    row = stored(engine)
    assert row is not None and row.marketplace == "de" and row.source == "api"
    assert Cipher(key).decrypt_json(row.auth_encrypted or "")["access_token"] == auth["access_token"]
    out = capsys.readouterr().out
    assert "Imported credentials for account 'default'" in out
    assert_clean(out, auth)


PASSWORD = "correct horse battery staple"


def assert_imported(engine: sa.Engine, key: str, auth: dict[str, Any], account: str = "default") -> None:
    row = stored(engine, account)
    assert row is not None and row.marketplace == auth["locale_code"]
    data = Cipher(key).decrypt_json(row.auth_encrypted or "")
    assert data["refresh_token"] == auth["refresh_token"]
    # The file's password is not part of what is stored.
    assert PASSWORD not in json.dumps(data)


@pytest.mark.parametrize("encryption", ["json", "bytes"])
def test_import_encrypted_file_with_a_password_file(
    engine: sa.Engine, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], encryption: str
) -> None:
    auth = fake_auth(locale="uk")
    path = auth_file(tmp_path, auth, password=PASSWORD, encryption=encryption)
    assert auth["refresh_token"].encode() not in path.read_bytes()
    secret_file = tmp_path / "password.txt"
    secret_file.write_text(PASSWORD + "\n")
    assert run("auth", "import", str(path), "--password-file", str(secret_file), "--account", "bob") == 0
    assert_imported(engine, key, auth, "bob")
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err and "warning" not in err
    assert_clean(out + err, auth)


def test_import_reads_the_password_from_standard_input(
    engine: sa.Engine,
    key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    auth = fake_auth()
    path = auth_file(tmp_path, auth, password=PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run("auth", "import", str(path)) == 0
    assert_imported(engine, key, auth)
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_import_asks_for_the_password_on_a_terminal(
    engine: sa.Engine,
    key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    auth = fake_auth()
    path = auth_file(tmp_path, auth, password=PASSWORD)
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", _Terminal(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or PASSWORD)
    assert run("auth", "import", str(path)) == 0
    assert prompts == ["Password of audible.json: "]
    assert_imported(engine, key, auth)


def test_password_on_the_command_line_still_works_with_a_warning(
    engine: sa.Engine, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth()
    path = auth_file(tmp_path, auth, password=PASSWORD)
    assert run("auth", "import", str(path), "--password", PASSWORD) == 0
    assert_imported(engine, key, auth)
    out, err = capsys.readouterr()
    assert err.startswith("warning: --password is visible to other users") and "--password-file" in err
    assert PASSWORD not in out + err


def test_a_plain_file_reads_no_password(
    engine: sa.Engine, key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = fake_auth()
    path = auth_file(tmp_path, auth)
    standard_input = io.StringIO("not a password\n")
    monkeypatch.setattr("sys.stdin", standard_input)
    assert run("auth", "import", str(path)) == 0
    assert standard_input.read() == "not a password\n"  # left unread
    assert_imported(engine, key, auth)


def test_import_with_wrong_or_missing_password(
    engine: sa.Engine,
    key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = auth_file(tmp_path, fake_auth(), password="right")
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
    assert run("auth", "import", str(path)) == 1
    assert "wrong password" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run("auth", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert "is encrypted: give its password at the prompt" in err and "--password-file" in err
    assert run("auth", "import", str(path), "--password-file", str(tmp_path / "missing.txt")) == 1
    assert "cannot read the password file" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert run("auth", "import", str(path), "--password-file", str(empty)) == 1
    assert "is empty" in capsys.readouterr().err
    assert stored(engine) is None


def test_import_rejects_files_that_are_not_auth_files(
    engine: sa.Engine, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "library.json"
    path.write_text(json.dumps([{"asin": "B000000001"}]))
    assert run("auth", "import", str(path)) == 1
    assert "not an audible / audible-cli auth file" in capsys.readouterr().err
    assert run("auth", "import", str(tmp_path / "missing.json")) == 1
    assert "does not exist" in capsys.readouterr().err


# -- status ------------------------------------------------------------------------


def test_status_shows_no_secrets(engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    auth = fake_auth()
    store(engine, key, auth)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audible_config SET last_sync_at = '2024-05-01 10:00+00' WHERE account='default'")
        )
    assert run("auth", "status") == 0
    out = capsys.readouterr().out
    assert "account:" in out and "default" in out and "marketplace:" in out and " us" in out
    assert "access token:" in out and "(in " in out
    assert "last sync:" in out and "2024-05-01 10:00 UTC" in out
    assert "Test Reader's 3rd Audible for iPhone" in out
    assert f"encryption:   the newest key of {ENCRYPTION_KEY_ENV}" in out
    blob = stored(engine).auth_encrypted  # type: ignore[union-attr]
    assert_clean(out, auth, blob[:24])


def test_status_with_wrong_key_or_unknown_account(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store(engine, key, fake_auth(expired=True))
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, generate_key())
    assert run("auth", "status") == 1
    out = capsys.readouterr().out
    assert "unreadable" in out and "cannot be decrypted" in out
    assert run("auth", "status", "--account", "nobody") == 1
    assert "no account 'nobody'; accounts: default" in capsys.readouterr().err


# -- logout ------------------------------------------------------------------------


def test_logout_deregisters_and_deletes(
    engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth(expired=True)
    store(engine, key, auth)
    token = new_access_token()
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        deregister = respx.post(DEREGISTER_URL).mock(
            return_value=httpx.Response(200, json={"response": {"success": {}}})
        )
        assert run("auth", "logout") == 0
    assert refresh.call_count == 1 and deregister.call_count == 1
    assert deregister.calls.last.request.headers["x-amz-access-token"] == token
    row = stored(engine)
    assert row is not None and not row.has_auth  # the row (and its mappings) stays
    out = capsys.readouterr().out
    assert "deregistered the device" in out and "Deleted the stored credentials" in out
    assert_clean(out, auth, token)


def test_logout_deletes_even_when_deregistration_fails(
    engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth()
    store(engine, key, auth)
    with respx.mock:
        respx.post(DEREGISTER_URL).mock(
            return_value=httpx.Response(403, json={"response": {"error": {"message": auth["access_token"]}}})
        )
        assert run("auth", "logout") == 0
    assert not stored(engine).has_auth  # type: ignore[union-attr]
    out = capsys.readouterr().out
    assert "could not deregister" in out and "Content and Devices" in out
    assert_clean(out, auth)


def test_logout_keep_device_and_nothing_stored(
    engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store(engine, key, fake_auth())
    with respx.mock:  # any HTTP call would fail: none is expected
        assert run("auth", "logout", "--keep-device") == 0
    assert "device left registered" in capsys.readouterr().out
    assert run("auth", "logout") == 0
    assert "nothing to do" in capsys.readouterr().out


# -- rotate-key --------------------------------------------------------------------


def test_rotate_key_round_trip(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = fake_auth(), fake_auth()
    store(engine, key, first, "one")
    store(engine, key, second, "two")
    new = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, f"{new},{key}")
    assert run("rotate-key") == 0
    assert "2 account(s)" in capsys.readouterr().out
    # Now the new key alone opens both.
    assert (
        Cipher(new).decrypt_json(stored(engine, "one").auth_encrypted)["refresh_token"]
        == first["refresh_token"]
    )  # type: ignore[union-attr,arg-type]
    assert (
        Cipher(new).decrypt_json(stored(engine, "two").auth_encrypted)["refresh_token"]
        == second["refresh_token"]
    )  # type: ignore[union-attr,arg-type]
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, new)
    assert run("auth", "status", "--account", "one") == 0


def test_status_tells_per_account_whether_the_newest_key_is_in_use(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store(engine, key, fake_auth(), "one")
    new = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, f"{new},{key}")
    # A process that started before the rotation writes with the old key.
    store(engine, new, fake_auth(), "two")
    assert run("auth", "status", "--all") == 0
    blocks = capsys.readouterr().out.split("\n\n")
    assert [b.splitlines()[0].split()[-1] for b in blocks] == ["one", "two"]
    assert "an older key of AUDIBLE_TRACKER_ENCRYPTION_KEY: run `audible-tracker rotate-key`" in blocks[0]
    assert "the newest key of AUDIBLE_TRACKER_ENCRYPTION_KEY" in blocks[1]
    assert run("rotate-key") == 0
    capsys.readouterr()
    assert run("auth", "status", "--all") == 0
    assert capsys.readouterr().out.count("the newest key of") == 2


def test_rotate_key_names_the_processes_to_restart(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store(engine, key, fake_auth(), "one")
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, f"{generate_key()},{key}")
    assert run("rotate-key") == 0
    out = capsys.readouterr().out
    assert "Re-encrypted the credentials of 1 account(s)" in out
    assert "the Dagster daemon and webserver" in out and "dagster dev" in out
    assert "systemctl restart audible-tracker-daemon audible-tracker-webserver" in out
    assert "/etc/audible-tracker/env" in out and "auth status --all" in out


def test_rotate_key_with_a_wrong_key_changes_nothing(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store(engine, key, fake_auth(), "one")
    before = stored(engine, "one").auth_encrypted  # type: ignore[union-attr]
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, generate_key())
    assert run("rotate-key") == 1
    err = capsys.readouterr().err
    assert "cannot be decrypted" in err and "Nothing was changed" in err and before not in err  # type: ignore[operator]
    assert stored(engine, "one").auth_encrypted == before  # type: ignore[union-attr]


def test_invalid_key_is_reported_without_echo(
    engine: sa.Engine, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, "definitely-not-a-fernet-key")
    assert run("rotate-key") == 1
    err = capsys.readouterr().err
    assert "not a valid Fernet key" in err and "definitely-not" not in err


def test_commands_are_registered_on_the_main_cli(engine: sa.Engine, key: str) -> None:
    store(engine, key, fake_auth())
    assert main(["auth", "status"]) == 0
    assert main(["keygen"]) == 0


def test_expiry_in_the_past_is_reported(
    engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth(signing=False)
    auth["expires"] = time.time() - 3 * 3600
    store(engine, key, auth)
    assert run("auth", "status") == 0
    out = capsys.readouterr().out
    assert "expired 3.0 h ago" in out and "refreshed automatically before the next sync" in out


HOUR = 3600.0


@pytest.mark.parametrize(
    ("signing", "refresh_token", "expires_in", "expected", "code"),
    [
        (True, True, -2 * HOUR, "expired 2.0 h ago); not needed: requests are signed with the device key", 0),
        (True, False, None, "no expiry recorded; not needed: requests are signed with the device key", 0),
        (False, True, -2 * HOUR, "expired 2.0 h ago); refreshed automatically before the next sync", 0),
        (False, True, HOUR, "(in 60 min); refreshed automatically when it expires", 0),
        (
            False,
            True,
            None,
            "no expiry recorded; the next sync refreshes it first with the stored refresh token",
            0,
        ),
        (
            False,
            False,
            -2 * HOUR,
            "expired 2.0 h ago) and no refresh token is stored: syncs fail until you run "
            "`audible-tracker auth login --account default`",
            1,
        ),
        (
            False,
            False,
            None,
            "no expiry recorded and no refresh token is stored: syncs fail until you run "
            "`audible-tracker auth login --account default`",
            1,
        ),
        (
            False,
            False,
            HOUR,
            "(in 60 min); no refresh token is stored: once it expires, syncs fail until you run",
            0,
        ),
    ],
)
def test_status_says_what_the_next_sync_will_do_with_the_token(
    engine: sa.Engine,
    key: str,
    capsys: pytest.CaptureFixture[str],
    signing: bool,
    refresh_token: bool,
    expires_in: float | None,
    expected: str,
    code: int,
) -> None:
    auth = fake_auth(signing=signing)
    auth["refresh_token"] = auth["refresh_token"] if refresh_token else None
    auth["expires"] = None if expires_in is None else time.time() + expires_in + (30 if expires_in > 0 else 0)
    store(engine, key, auth)
    with respx.mock:  # status never calls Amazon
        assert run("auth", "status") == code
    out = capsys.readouterr().out
    assert expected in out
    assert "refused" not in out


@pytest.mark.parametrize("expires", [None, "expired"])
def test_logout_without_a_refresh_token_says_why_it_cannot_deregister(
    engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str], expires: str | None
) -> None:
    auth = fake_auth(signing=False, expired=True)
    auth["refresh_token"] = None
    auth["expires"] = None if expires is None else auth["expires"]
    store(engine, key, auth)
    with respx.mock:  # nothing to ask Amazon with: no HTTP call
        assert run("auth", "logout") == 0
    out = capsys.readouterr().out
    reason = "has no recorded expiry" if expires is None else "has expired"
    assert f"could not deregister the device (the access token {reason} and no refresh token is stored" in out
    assert "refused" not in out and not stored(engine).has_auth  # type: ignore[union-attr]


def test_logout_refreshes_a_token_without_expiry_before_deregistering(
    engine: sa.Engine, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = fake_auth(signing=False)
    auth["expires"] = None
    store(engine, key, auth)
    token = new_access_token()
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        deregister = respx.post(DEREGISTER_URL).mock(
            return_value=httpx.Response(200, json={"response": {"success": {}}})
        )
        assert run("auth", "logout") == 0
    assert refresh.call_count == 1
    assert deregister.calls.last.request.headers["x-amz-access-token"] == token
    assert "deregistered the device" in capsys.readouterr().out
