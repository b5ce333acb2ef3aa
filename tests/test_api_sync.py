"""Whole syncs from the Audible API: several accounts with stored credentials, and request signing.

Audible is faked at the HTTP boundary only (respx); the job, the resources, the
audible package (token refresh, request signing) and PostgreSQL are real.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from resources.audible_api import AudibleResource
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, generate_key
from resources.queries import accounts
from tests.fake_audible import (
    LIBRARY_URL,
    REFRESH_URL,
    fake_auth,
    library_item,
    library_page,
    new_access_token,
    refresh_response,
)
from tests.support.sync import run_sync


@pytest.fixture
def key(monkeypatch) -> str:
    key = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, key)
    return key


def _store(engine: sa.Engine, key: str, account: str, auth: dict[str, Any]) -> None:
    with engine.begin() as conn:
        accounts.store_auth(conn, account, auth["locale_code"], Cipher(key).encrypt_json(auth))


def _stored(engine: sa.Engine, key: str, account: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return Cipher(key).decrypt_json(accounts.get_account(conn, account).auth_encrypted)


def _books_for(engine: sa.Engine, numbers: list[int]) -> None:
    """A tracker book for each fake library title, as the reader typed it (book id = title number)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO books (id, title, author, status) VALUES (:id, :t, :a, 'to_read')"),
            [{"id": n, "t": f"Title {n}", "a": f"Author {n % 7}"} for n in numbers],
        )


def _rows(engine: sa.Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def _api_sync(database_url: str, account: str, **resource: Any):
    return run_sync(
        database_url,
        account=account,
        library_source="auto",
        audible=AudibleResource(backoff_seconds=0, **resource),
    )


def test_two_accounts_with_stored_credentials_each_refresh_their_own_token_and_sync_their_own_library(
    engine, database_url, key
):
    numbers = {"alice": [1, 2, 3], "bob": [4, 5]}
    auths = {name: fake_auth(signing=False, expired=True) for name in numbers}
    new_tokens = {name: new_access_token() for name in numbers}
    for name, auth in auths.items():
        _store(engine, key, name, auth)
    _books_for(engine, [1, 2, 3, 4, 5])

    account_of_refresh_token = {auth["refresh_token"]: name for name, auth in auths.items()}
    account_of_access_token = {token: name for name, token in new_tokens.items()}
    refreshed, served = [], []

    def refresh(request: httpx.Request) -> httpx.Response:
        name = account_of_refresh_token[parse_qs(request.content.decode())["source_token"][0]]
        refreshed.append(name)
        return refresh_response(new_tokens[name])

    def library(request: httpx.Request) -> httpx.Response:
        name = account_of_access_token.get(request.headers.get("x-amz-access-token", ""))
        if name is None:  # an old or another account's token: what Audible answers
            return httpx.Response(401, json={"message": "invalid access token"})
        served.append(name)
        items = [library_item(n, percent=10.0 * n) for n in numbers[name]]
        return library_page(items, len(items))

    with respx.mock:
        respx.post(REFRESH_URL).mock(side_effect=refresh)
        respx.get(LIBRARY_URL).mock(side_effect=library)
        assert _api_sync(database_url, "alice").success
        assert _api_sync(database_url, "bob").success

    assert refreshed == ["alice", "bob"] and served == ["alice", "bob"]
    for name, auth in auths.items():
        stored = _stored(engine, key, name)
        assert stored["access_token"] == new_tokens[name]
        assert stored["refresh_token"] == auth["refresh_token"]
    assert sorted(_rows(engine, "SELECT account, asin, book_id FROM audible_book_mappings")) == [
        ("alice", "B000000001", 1),
        ("alice", "B000000002", 2),
        ("alice", "B000000003", 3),
        ("bob", "B000000004", 4),
        ("bob", "B000000005", 5),
    ]
    assert sorted(
        _rows(engine, "SELECT account, source, status, items_fetched, api_calls FROM audible_sync_logs")
    ) == [
        ("alice", "api", "success", 3, 2),  # one refresh, one page
        ("bob", "api", "success", 2, 2),
    ]
    assert _rows(engine, "SELECT id, progress_percent FROM books ORDER BY id") == [
        (n, pytest.approx(10.0 * n)) for n in [1, 2, 3, 4, 5]
    ]


def _verify_signature(request: httpx.Request, auth: dict[str, Any]) -> None:
    """Check the request is signed with the account's device key, as Audible does."""
    signature, signed_at = request.headers["x-adp-signature"].split(":", 1)
    assert request.headers["x-adp-token"] == auth["adp_token"]
    assert request.headers["x-adp-alg"] == "SHA256withRSA:1.0"
    signed = f"{request.method}\n{request.url.raw_path.decode()}\n{signed_at}\n\n{auth['adp_token']}"
    private_key = serialization.load_pem_private_key(auth["device_private_key"].encode(), password=None)
    private_key.public_key().verify(  # raises InvalidSignature when it does not match
        base64.b64decode(signature), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_an_api_sync_in_request_signing_mode_signs_every_request_and_never_refreshes(
    engine, database_url, key
):
    # An access token long expired does not matter: signed requests do not use it.
    auth = fake_auth(signing=True, expired=True)
    _store(engine, key, "reader", auth)
    _books_for(engine, [1, 2, 3, 4, 5])
    with engine.connect() as conn:
        blob_before = accounts.get_account(conn, "reader").auth_encrypted
    items = [library_item(n, percent=50.0) for n in [1, 2, 3, 4, 5]]
    checked = []

    def library(request: httpx.Request) -> httpx.Response:
        assert "x-amz-access-token" not in request.headers
        _verify_signature(request, auth)
        page, size = int(request.url.params["page"]), int(request.url.params["num_results"])
        checked.append(page)
        return library_page(items[(page - 1) * size : page * size], len(items))

    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(new_access_token()))
        respx.get(LIBRARY_URL).mock(side_effect=library)
        assert _api_sync(database_url, "reader", page_size=2).success

    assert checked == [1, 2, 3] and refresh.call_count == 0
    assert _rows(engine, "SELECT source, status, items_fetched, api_calls FROM audible_sync_logs") == [
        ("api", "success", 5, 3)
    ]
    assert len(_rows(engine, "SELECT 1 FROM audible_book_mappings WHERE account = 'reader'")) == 5
    with engine.connect() as conn:
        assert accounts.get_account(conn, "reader").auth_encrypted == blob_before  # nothing to write back
