"""Rotating the encryption key on a tracker that has synced: nothing is lost, the old key can go."""

from __future__ import annotations

import pytest
import respx
import sqlalchemy as sa

from pipelines.cli import main
from resources.audible_api import AudibleResource
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, DecryptionFailed, generate_key
from resources.postgres import DATABASE_URL_ENV
from resources.queries import accounts
from tests.fake_audible import LIBRARY_URL, FakeLibrary, fake_auth
from tests.support.sync import allow_next_sync, row_versions, run_sync

ACCOUNT = "reader"


def _api_sync(database_url: str):
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=5))
        return run_sync(
            database_url,
            account=ACCOUNT,
            library_source="auto",
            audible=AudibleResource(backoff_seconds=0),
        )


def _rows(engine: sa.Engine, sql: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.text(sql))]


def _stored_blob(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return accounts.get_account(conn, ACCOUNT).auth_encrypted


def _tracker_and_account(engine: sa.Engine, blob: str) -> None:
    with engine.begin() as conn:
        accounts.store_auth(conn, ACCOUNT, "us", blob)
        conn.execute(
            sa.text("INSERT INTO books (id, title, author, status) VALUES (:id, :t, :a, 'to_read')"),
            # Titles 1-4 once each; title 5 twice, so the sync must ask which one.
            [{"id": n, "t": f"Title {n}", "a": f"Author {n % 7}"} for n in (1, 2, 3, 4, 5)]
            + [{"id": 6, "t": "Title 5", "a": "Author 5"}],
        )


def test_after_rotate_key_a_sync_with_only_the_new_key_works_and_keeps_mappings_conflicts_and_logs(
    database_url, engine, monkeypatch, capsys
):
    old_key, new_key = generate_key(), generate_key()
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, old_key)
    auth = fake_auth(signing=False)
    _tracker_and_account(engine, Cipher(old_key).encrypt_json(auth))
    assert _api_sync(database_url).success
    mappings = _rows(engine, "SELECT * FROM audible_book_mappings ORDER BY id")
    conflicts = _rows(engine, "SELECT * FROM audible_conflicts ORDER BY id")
    [first_log] = _rows(engine, "SELECT * FROM audible_sync_logs")
    assert [m["book_id"] for m in mappings] == [1, 2, 3, 4]
    assert [(c["asin"], c["resolved"]) for c in conflicts] == [("B000000005", False)]
    versions = {t: row_versions(engine, t) for t in ("audible_book_mappings", "audible_conflicts", "books")}

    monkeypatch.setenv(ENCRYPTION_KEY_ENV, f"{new_key},{old_key}")
    capsys.readouterr()
    assert main(["rotate-key"]) == 0
    assert "Re-encrypted the credentials of 1 account(s) with the newest key." in capsys.readouterr().out
    rotated = _stored_blob(engine)
    assert Cipher(new_key).decrypt_json(rotated) == auth
    with pytest.raises(DecryptionFailed):
        Cipher(old_key).decrypt_json(rotated)

    monkeypatch.setenv(ENCRYPTION_KEY_ENV, new_key)  # the old key is gone
    allow_next_sync(engine, ACCOUNT)
    assert _api_sync(database_url).success

    assert _rows(engine, "SELECT * FROM audible_book_mappings ORDER BY id") == mappings
    assert _rows(engine, "SELECT * FROM audible_conflicts ORDER BY id") == conflicts
    assert {t: row_versions(engine, t) for t in versions} == versions  # not even rewritten
    logs = _rows(engine, "SELECT * FROM audible_sync_logs ORDER BY id")
    assert logs[0] == first_log
    assert [(log["source"], log["status"], log["items_fetched"]) for log in logs] == [
        ("api", "success", 5),
        ("api", "success", 5),
    ]
    assert Cipher(new_key).decrypt_json(_stored_blob(engine)) == auth
