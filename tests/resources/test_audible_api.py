"""AudibleResource against a fake Audible at the HTTP boundary (respx), real PostgreSQL.

The real audible.Client signs requests and the real Authenticator refreshes
tokens; only the HTTP responses are made up.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa

from domain.library_items import parse_library
from resources import audible_api
from resources.audible_api import (
    AudibleAuthMissing,
    AudibleResource,
    AudibleSourceError,
    account_has_stored_auth,
    backoff_delay,
    page_count,
    progress_message,
    scrub,
    total_backoff,
)
from resources.cipher import Cipher, generate_key
from resources.queries import accounts
from tests.fake_audible import (
    LIBRARY_URL,
    REFRESH_URL,
    FakeLibrary,
    fake_auth,
    library_item,
    library_page,
    new_access_token,
    refresh_response,
    secret_strings,
)

ACCOUNT = "reader"


# -- pure arithmetic -----------------------------------------------------------


def test_backoff_is_exponential_and_capped() -> None:
    assert [backoff_delay(n, 2.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert backoff_delay(10, 2.0) == audible_api.MAX_BACKOFF_SECONDS
    assert backoff_delay(1, 2.0, retry_after="30") == 30.0
    assert backoff_delay(1, 2.0, retry_after="9999") == audible_api.MAX_BACKOFF_SECONDS
    assert backoff_delay(3, 2.0, retry_after="Wed, 21 Oct 2015 07:28:00 GMT") == 8.0
    assert backoff_delay(1, 0.0, retry_after="30") == 0.0
    assert backoff_delay(0, 2.0) == 0.0


def test_total_backoff_is_bounded() -> None:
    assert total_backoff(4, 2.0) == 30.0
    assert total_backoff(100, 2.0) <= 100 * audible_api.MAX_BACKOFF_SECONDS
    assert total_backoff(4, 0.0) == 0.0


def test_progress_message() -> None:
    assert progress_message(2, 2000, 4321, 1000) == "page 2/5 fetched (2,000 of 4,321 titles)"
    assert progress_message(1, 0, 0, 1000) == "page 1/1 fetched (0 of 0 titles)"
    assert progress_message(3, 150, None, 50) == "page 3 fetched (150 titles so far)"
    assert page_count(None, 10) is None and page_count(1001, 1000) == 2


def test_scrub_removes_echoed_secrets() -> None:
    assert scrub("bad token Atna|abc123456 here", ["Atna|abc123456"]) == "bad token [redacted] here"
    assert len(scrub("x" * 1000, [])) == audible_api.MAX_SERVER_MESSAGE


# -- helpers -------------------------------------------------------------------


@pytest.fixture
def key() -> str:
    return generate_key()


def store(engine: sa.Engine, key: str, auth: dict[str, Any], account: str = ACCOUNT) -> None:
    with engine.begin() as conn:
        accounts.store_auth(conn, account, auth["locale_code"], Cipher(key).encrypt_json(auth))


def stored_auth(engine: sa.Engine, key: str, account: str = ACCOUNT) -> tuple[str, dict[str, Any]]:
    with engine.connect() as conn:
        row = accounts.get_account(conn, account)
    assert row is not None and row.auth_encrypted
    return row.auth_encrypted, Cipher(key).decrypt_json(row.auth_encrypted)


def resource(key: str, **overrides: Any) -> AudibleResource:
    return AudibleResource(encryption_key=key, backoff_seconds=0, **overrides)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    caplog.set_level(logging.DEBUG)
    return logging.getLogger("test.audible_api")


def assert_no_secrets(text: str, auth: dict[str, Any], *extra: str) -> None:
    for secret in [*secret_strings(auth), *extra]:
        assert secret not in text


# -- paging --------------------------------------------------------------------


def test_pages_through_the_whole_library(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    auth = fake_auth()
    store(engine, key, auth)
    fake = FakeLibrary(total=2345)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        fetch = resource(key, page_size=1000).fetch_library(engine, ACCOUNT, log)

    assert (fetch.pages, fetch.api_calls, len(fetch.items)) == (3, 3, 2345)
    assert [r.url.params["page"] for r in fake.requests] == ["1", "2", "3"]
    first = fake.requests[0]
    assert first.url.params["num_results"] == "1000"
    assert set(first.url.params["response_groups"].split(",")) >= {
        "contributors", "media", "series", "percent_complete", "is_finished", "listening_status",
    }  # fmt: skip
    # Signed by the real Authenticator with the fake device key.
    assert "x-adp-signature" in first.headers and "x-amz-access-token" not in first.headers
    assert "page 2/3 fetched (2,000 of 2,345 titles)" in caplog.text
    parsed = parse_library(fetch.items)
    assert len(parsed.items) == 2345 and not parsed.rejected
    assert parsed.items[0].authors == "Author 1" and parsed.items[0].series_title == "Test Saga"
    assert_no_secrets(caplog.text, auth)


def test_a_library_that_fills_its_last_page_exactly_needs_no_extra_call(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    store(engine, key, fake_auth())
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=20))
        fetch = resource(key, page_size=10).fetch_library(engine, ACCOUNT, log)
    assert (fetch.pages, fetch.api_calls, len(fetch.items)) == (2, 2, 20)


def test_empty_library_is_one_call(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    store(engine, key, fake_auth())
    with respx.mock:
        respx.get(LIBRARY_URL).mock(return_value=library_page([], 0))
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)
    assert (fetch.pages, fetch.api_calls, fetch.items) == (1, 1, [])


def test_a_title_seen_on_two_pages_is_kept_once(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    store(engine, key, fake_auth())
    pages = [
        library_page([library_item(1), library_item(2)], 3),
        library_page([library_item(2), library_item(3)], 3),
    ]
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=pages)
        fetch = resource(key, page_size=2).fetch_library(engine, ACCOUNT, log)
    assert [i["asin"] for i in fetch.items] == ["B000000001", "B000000002", "B000000003"]


# -- tokens --------------------------------------------------------------------


def test_expired_token_is_refreshed_first_and_stored_encrypted(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    # Bearer mode (no device key): the access token is what authenticates.
    auth = fake_auth(signing=False, expired=True)
    store(engine, key, auth)
    token = new_access_token()
    fake = FakeLibrary(total=5)
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)

    assert refresh.call_count == 1
    assert fake.requests[0].headers["x-amz-access-token"] == token
    assert fetch.api_calls == 2 and len(fetch.items) == 5
    blob, saved = stored_auth(engine, key)
    assert saved["access_token"] == token and saved["expires"] > auth["expires"]
    assert saved["refresh_token"] == auth["refresh_token"]
    assert token not in blob and auth["refresh_token"] not in blob
    assert_no_secrets(caplog.text, auth, token)


def test_signing_mode_does_not_spend_a_call_on_an_expired_access_token(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    store(engine, key, fake_auth(signing=True, expired=True))
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(new_access_token()))
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=3))
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)
    assert refresh.call_count == 0 and fetch.api_calls == 1


def test_401_refreshes_once_then_succeeds(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    # Bearer mode: an access token revoked before its expiry is what a refresh repairs.
    auth = fake_auth(signing=False)
    store(engine, key, auth)
    token = new_access_token()
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        library = respx.get(LIBRARY_URL).mock(
            side_effect=[
                httpx.Response(401, json={"message": "Invalid token"}),
                library_page([library_item(1)], 1),
            ]
        )
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)
    assert refresh.call_count == 1 and library.call_count == 2
    assert library.calls.last.request.headers["x-amz-access-token"] == token
    assert fetch.api_calls == 3 and len(fetch.items) == 1
    assert stored_auth(engine, key)[1]["access_token"] == token
    assert_no_secrets(caplog.text, auth, token)


@pytest.mark.parametrize("status", [401, 403])
def test_signed_requests_refused_fail_at_once_without_a_refresh(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    # Signed requests never send the access token: a new one cannot change Audible's answer.
    auth = fake_auth(signing=True)
    store(engine, key, auth)
    blob_before, _ = stored_auth(engine, key)
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(new_access_token()))
        library = respx.get(LIBRARY_URL).mock(
            return_value=httpx.Response(status, json={"message": "Forbidden"})
        )
        with pytest.raises(AudibleSourceError) as info:
            resource(key).fetch_library(engine, ACCOUNT, log)
    assert refresh.call_count == 0 and library.call_count == 1 and info.value.api_calls == 1
    assert "x-adp-signature" in library.calls.last.request.headers
    message = str(info.value)
    assert f"HTTP {status}" in message and "signed requests" in message
    assert f"audible-tracker auth login --account {ACCOUNT}" in message
    assert "refreshing once" not in caplog.text
    assert stored_auth(engine, key)[0] == blob_before
    assert_no_secrets(message + caplog.text, auth)


def test_401_after_refresh_fails_with_login_advice(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    auth = fake_auth(signing=False)
    store(engine, key, auth)
    token = new_access_token()
    with respx.mock:
        refresh = respx.post(REFRESH_URL).mock(return_value=refresh_response(token))
        library = respx.get(LIBRARY_URL).mock(
            return_value=httpx.Response(401, json={"message": "Invalid token"})
        )
        with pytest.raises(AudibleSourceError) as info:
            resource(key).fetch_library(engine, ACCOUNT, log)
    assert refresh.call_count == 1 and library.call_count == 2
    message = str(info.value)
    assert "'reader'" in message and "1.0/library" in message and "HTTP 401" in message
    assert f"audible-tracker auth login --account {ACCOUNT}" in message
    assert info.value.status == 401 and info.value.endpoint == "1.0/library"
    assert_no_secrets(message + caplog.text, auth, token)


def test_refresh_rejected_gives_clear_error(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    auth = fake_auth(signing=False, expired=True)
    store(engine, key, auth)
    with respx.mock:
        respx.post(REFRESH_URL).mock(return_value=httpx.Response(400, json={"error": "invalid_grant"}))
        library = respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=1))
        with pytest.raises(AudibleSourceError) as info:
            resource(key).fetch_library(engine, ACCOUNT, log)
    assert library.call_count == 0
    message = str(info.value)
    assert "auth/token" in message and "HTTP 400" in message and "auth login --account reader" in message
    assert_no_secrets(message, auth)


# -- retries -------------------------------------------------------------------


def test_429_then_success(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    store(engine, key, fake_auth())
    with respx.mock:
        library = respx.get(LIBRARY_URL).mock(
            side_effect=[
                httpx.Response(429, json={"message": "Too many requests"}),
                library_page([library_item(1), library_item(2)], 2),
            ]
        )
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)
    assert library.call_count == 2 and fetch.api_calls == 2 and len(fetch.items) == 2
    assert "returned HTTP 429; retry 1/4" in caplog.text


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_exhaust_retries_with_a_clear_message(
    engine: sa.Engine, key: str, log: logging.Logger, status: int
) -> None:
    auth = fake_auth()
    store(engine, key, auth)
    with respx.mock:
        library = respx.get(LIBRARY_URL).mock(return_value=httpx.Response(status, json={"message": "oops"}))
        with pytest.raises(AudibleSourceError) as info:
            # Below 1,000 per page a server error is retried as it is, not with smaller pages.
            resource(key, max_retries=2, page_size=500).fetch_library(engine, ACCOUNT, log)
    assert library.call_count == 3 and info.value.api_calls == 3
    message = str(info.value)
    assert f"HTTP {status}" in message and "after 3 attempts" in message
    assert "'reader'" in message and "1.0/library" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert_no_secrets(message, auth)


def test_backoff_waits_grow_and_honour_retry_after(
    engine: sa.Engine, key: str, log: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(engine, key, fake_auth())
    waits: list[float] = []
    monkeypatch.setattr(audible_api, "_sleep", waits.append)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(429, headers={"retry-after": "7"}),
                httpx.Response(500),
                library_page([library_item(1)], 1),
            ]
        )
        fetch = AudibleResource(encryption_key=key, backoff_seconds=1.0, page_size=500).fetch_library(
            engine, ACCOUNT, log
        )
    assert waits == [1.0, 7.0, 4.0] and fetch.api_calls == 4


def test_network_errors_are_retried(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    store(engine, key, fake_auth())
    with respx.mock:
        respx.get(LIBRARY_URL).mock(
            side_effect=[
                httpx.ConnectError("boom"),
                httpx.ReadTimeout("slow"),
                library_page([library_item(1)], 1),
            ]
        )
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)
    assert len(fetch.items) == 1 and fetch.api_calls == 3


def test_other_client_errors_fail_at_once(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    store(engine, key, fake_auth())
    with respx.mock:
        library = respx.get(LIBRARY_URL).mock(
            return_value=httpx.Response(400, json={"message": "Invalid response group"})
        )
        with pytest.raises(AudibleSourceError) as info:
            resource(key).fetch_library(engine, ACCOUNT, log)
    assert library.call_count == 1
    assert "HTTP 400 (Invalid response group)" in str(info.value)


# -- stored credentials ----------------------------------------------------------


def test_wrong_key_fails_without_ciphertext(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    store(engine, key, fake_auth())
    blob, _ = stored_auth(engine, key)
    other = generate_key()
    with respx.mock:
        library = respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=1))
        with pytest.raises(AudibleSourceError) as info:
            resource(other).fetch_library(engine, ACCOUNT, log)
    assert library.call_count == 0
    message = str(info.value)
    assert "cannot be decrypted" in message and "'reader'" in message
    assert blob[:24] not in message and other not in message and key not in message


def test_key_from_environment_and_rotation_list(
    engine: sa.Engine, key: str, log: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(engine, key, fake_auth(signing=False, expired=True))
    newer = generate_key()
    monkeypatch.setenv("AUDIBLE_TRACKER_ENCRYPTION_KEY", f"{newer},{key}")
    with respx.mock:
        respx.post(REFRESH_URL).mock(return_value=refresh_response(new_access_token()))
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=2))
        fetch = AudibleResource(backoff_seconds=0).fetch_library(engine, ACCOUNT, log)
    assert len(fetch.items) == 2
    # The refreshed state was written with the newest key.
    stored_auth(engine, newer)


def test_missing_account_or_credentials(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    with pytest.raises(AudibleAuthMissing, match="auth login --account nobody"):
        resource(key).fetch_library(engine, "nobody", log)
    assert not account_has_stored_auth(engine, "nobody")
    store(engine, key, fake_auth())
    assert account_has_stored_auth(engine, ACCOUNT)
    with engine.begin() as conn:
        assert accounts.delete_auth(conn, ACCOUNT)
    assert not account_has_stored_auth(engine, ACCOUNT)
    with pytest.raises(AudibleAuthMissing):
        resource(key).fetch_library(engine, ACCOUNT, log)


def test_credentials_that_cannot_authenticate(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    auth = fake_auth(signing=False, expired=True)
    auth["refresh_token"] = None
    store(engine, key, auth)
    with pytest.raises(AudibleAuthMissing, match="can no longer authenticate"):
        resource(key).fetch_library(engine, ACCOUNT, log)


def test_signing_credentials_need_no_access_token(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    # Some older auth files carry only the device key and adp token.
    auth = fake_auth(signing=True)
    auth.update(access_token=None, refresh_token=None, expires=None)
    store(engine, key, auth)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=2))
        fetch = resource(key).fetch_library(engine, ACCOUNT, log)
    assert fetch.api_calls == 1 and len(fetch.items) == 2
