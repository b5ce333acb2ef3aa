"""Real libraries: page sizes Audible cannot serve, libraries that change while paged, real item shapes.

The real audible.Client and PostgreSQL; Audible is faked at the HTTP boundary
(respx) with pages shaped like published ``1.0/library`` responses.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa

from domain.api_to_export import EXPORT_KEYS
from domain.library_items import parse_library
from resources.audible_api import (
    AudibleResource,
    AudibleSourceError,
    page_too_large,
    smaller_page_size,
)
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, generate_key
from resources.queries import accounts
from tests.fake_audible import (
    ALWAYS_RETURNED_KEYS,
    GROUP_KEYS,
    LIBRARY_URL,
    FakeLibrary,
    fake_auth,
    library_item,
    library_page,
    recorded_page,
)
from tests.support.sync import allow_next_sync, run_sync

ACCOUNT = "reader"


@pytest.fixture
def key(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """A stored signing-mode account (no refresh calls) and its key in the environment."""
    key = generate_key()
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, key)
    with engine.begin() as conn:
        accounts.store_auth(conn, ACCOUNT, "us", Cipher(key).encrypt_json(fake_auth()))
    return key


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    caplog.set_level(logging.INFO)
    return logging.getLogger("test.audible_paging")


def resource(**overrides: Any) -> AudibleResource:
    return AudibleResource(backoff_seconds=0, **overrides)


def asked(fake: FakeLibrary) -> list[tuple[int, int]]:
    """(page, titles per page) of every library request, in order."""
    return [(int(r.url.params["page"]), int(r.url.params["num_results"])) for r in fake.requests]


# -- page size arithmetic ---------------------------------------------------------


def test_smaller_page_sizes_step_down_to_the_floor() -> None:
    assert [smaller_page_size(s, 50) for s in (1000, 500, 250, 100, 50)] == [500, 250, 100, 50, None]
    assert smaller_page_size(300, 50) == 250 and smaller_page_size(60, 50) == 50
    assert smaller_page_size(1000, 400) == 500 and smaller_page_size(500, 400) == 400
    assert smaller_page_size(400, 400) is None


def test_which_errors_mean_the_page_was_too_large() -> None:
    def response(status: int) -> httpx.HTTPStatusError:
        request = httpx.Request("GET", "https://api.audible.com/1.0/library")
        return httpx.HTTPStatusError("x", request=request, response=httpx.Response(status, request=request))

    assert page_too_large(response(408), 100)
    assert page_too_large(response(500), 1000) and page_too_large(response(503), 1000)
    assert not page_too_large(response(500), 500)
    assert page_too_large(httpx.ReadTimeout("slow"), 1000) and not page_too_large(
        httpx.ReadTimeout("slow"), 500
    )
    assert not page_too_large(response(429), 1000) and not page_too_large(response(404), 1000)


# -- smaller pages ----------------------------------------------------------------------


def test_408_at_1000_per_page_retries_with_smaller_pages(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeLibrary(total=1234, max_page_size=500, too_large_status=408)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        fetch = resource().fetch_library(engine, ACCOUNT, log)
    assert asked(fake) == [(1, 1000), (1, 500), (2, 500), (3, 500)]
    assert (len(fetch.items), fetch.page_size, fetch.api_calls, fetch.pages) == (1234, 500, 4, 3)
    assert "returned HTTP 408 at 1,000 titles per page; asking for pages of 500" in caplog.text


def test_a_server_error_at_1000_per_page_retries_with_smaller_pages(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    fake = FakeLibrary(total=700, max_page_size=500, too_large_status=500)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        fetch = resource().fetch_library(engine, ACCOUNT, log)
    # No backoff retries at 1,000: a 500 there is the known large-page failure.
    assert asked(fake) == [(1, 1000), (1, 500), (2, 500)]
    assert (len(fetch.items), fetch.page_size) == (700, 500)


def test_a_page_that_fails_mid_library_is_asked_for_again_from_the_same_title(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    fake = FakeLibrary(total=2600)

    def second_page_times_out(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2" and request.url.params["num_results"] == "1000":
            fake.requests.append(request)
            return httpx.Response(408, json={"message": "Request timed out"})
        return fake(request)

    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=second_page_times_out)
        fetch = resource().fetch_library(engine, ACCOUNT, log)
    # Titles 1,001–2,000 are page 3 at 500 per page: nothing is asked twice or skipped.
    assert asked(fake) == [(1, 1000), (2, 1000), (3, 500), (4, 500), (5, 500), (6, 500)]
    assert [i["asin"] for i in fetch.items] == [f"B0{n:08d}" for n in range(1, 2601)]
    assert fetch.page_size == 500


def test_408_down_to_the_floor_then_fails_with_advice(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    fake = FakeLibrary(total=300, max_page_size=10, too_large_status=408)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        with pytest.raises(AudibleSourceError) as info:
            resource(max_retries=2, min_page_size=100).fetch_library(engine, ACCOUNT, log)
    # 1,000 → 500 → 250 → 100, then the floor is retried with backoff like any transient error.
    assert [size for _, size in asked(fake)] == [1000, 500, 250, 100, 100, 100]
    message = str(info.value)
    assert "HTTP 408" in message and "after 3 attempts" in message and "smallest page" in message
    assert info.value.page_size == 100 and info.value.api_calls == 6


def test_the_page_size_used_is_recorded_in_the_sync_log(
    engine: sa.Engine, database_url: str, key: str
) -> None:
    fake = FakeLibrary(total=120, max_page_size=250, too_large_status=408)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        result = run_sync(database_url, account=ACCOUNT, library_source="auto", audible=resource())
    assert result.success
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, page_size, api_calls FROM audible_sync_logs")).one()
    assert tuple(row) == ("success", 250, 3)  # 1,000 and 500 refused, 250 served


def test_a_failed_fetch_records_the_page_size_it_reached(
    engine: sa.Engine, database_url: str, key: str
) -> None:
    fake = FakeLibrary(total=120, max_page_size=10, too_large_status=408)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        result = run_sync(
            database_url,
            account=ACCOUNT,
            library_source="auto",
            raise_on_error=False,
            audible=resource(max_retries=0, min_page_size=250),
        )
    assert not result.success
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, page_size, api_calls FROM audible_sync_logs")).one()
    assert tuple(row) == ("failed", 250, 3)


# -- completeness ---------------------------------------------------------------


def test_a_title_bought_while_paging_is_read_again(
    engine: sa.Engine, key: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeLibrary(total=25)
    # After page 1, a new title lands at the front: page 2 repeats title 10 and
    # the total grows.
    fake.after_request[1] = lambda items: items.insert(0, library_item(99))
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        fetch = resource(page_size=10).fetch_library(engine, ACCOUNT, log)
    assert sorted(i["asin"] for i in fetch.items) == sorted(f"B0{n:08d}" for n in [*range(1, 26), 99])
    assert len(fake.requests) == 6 and fetch.api_calls == 6
    assert (
        "changed while it was read (total-count went from 25 to 26 while paging); reading it again (2/3)"
        in (caplog.text)
    )


def test_a_title_removed_while_paging_does_not_hide_the_next_one(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    fake = FakeLibrary(total=25)
    # After page 1, title 1 is removed: every title moves up one place, and
    # title 11 moves to page 1, already served. Count alone (24 of 24) hides it.
    fake.after_request[1] = lambda items: items.pop(0)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        fetch = resource(page_size=10).fetch_library(engine, ACCOUNT, log)
    assert sorted(i["asin"] for i in fetch.items) == [f"B0{n:08d}" for n in range(2, 26)]


def test_fewer_titles_than_announced_fails_the_fetch(
    engine: sa.Engine, key: str, log: logging.Logger
) -> None:
    items = [library_item(n) for n in range(1, 8)]
    with respx.mock:
        library = respx.get(LIBRARY_URL).mock(side_effect=lambda request: library_page(items, 8))
        with pytest.raises(AudibleSourceError) as info:
            resource().fetch_library(engine, ACCOUNT, log)
    assert library.call_count == 3
    message = str(info.value)
    assert "incomplete after 3 reads (7 distinct titles received of 8 announced)" in message
    assert "'reader'" in message and "nothing was changed" in message


def test_a_library_that_keeps_changing_keeps_its_snapshot_rows(
    engine: sa.Engine, database_url: str, key: str
) -> None:
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(total=25))
        assert run_sync(database_url, account=ACCOUNT, library_source="auto", audible=resource()).success
    allow_next_sync(engine, ACCOUNT)

    fake = FakeLibrary(total=25)
    # A title removed after every first page: each read misses one title.
    for request_number in (1, 4, 7):
        fake.after_request[request_number] = lambda items: items.pop(0)
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=fake)
        result = run_sync(
            database_url,
            account=ACCOUNT,
            library_source="auto",
            raise_on_error=False,
            audible=resource(page_size=10),
        )
    assert not result.success
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT count(*) FROM audible_library_items WHERE account = :a"), {"a": ACCOUNT}
        )
        error = conn.execute(
            sa.text("SELECT error FROM audible_sync_logs ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert kept.scalar_one() == 25
    assert "incomplete after 3 reads" in error and "total-count went from" in error


# -- real response shapes ----------------------------------------------------------


EXPECTED_RECORDED = [
    {
        "asin": "B0TESTA001",
        "title": "The Glass Meridian",
        "subtitle": "Meridian, Book 2",
        "authors": "Imogen Hale",
        "narrators": "Rafe Okafor, Lena Brandt",
        "series_title": "Meridian",
        "series_sequence": "2",
        "is_finished": True,
        "percent_complete": 100.0,
        "runtime_length_min": 812,
        "release_date": "2019-05-14",
        "date_added": "2023-02-11T18:22:05.511Z",
        "isbn": "9781771000017",
    },
    {
        "asin": "B0TESTA002",
        "title": "Small Hours",
        "subtitle": None,
        "authors": "Tomás Ferreira",
        "narrators": "Tomás Ferreira",
        "series_title": None,
        "series_sequence": None,
        "is_finished": False,
        "percent_complete": 37.52,
        "runtime_length_min": 431,
        "release_date": "2021-10-05",
        "date_added": "2023-02-11T18:22:05.511Z",
        "isbn": None,
    },
    {
        "asin": "B0TESTA003",
        "title": "Orchard of Bells",
        "subtitle": None,
        "authors": "M. K. Osei",
        "narrators": "Ada Quist",
        "series_title": None,
        "series_sequence": None,
        "is_finished": False,
        "percent_complete": 0.0,
        "runtime_length_min": 95,
        "release_date": "2024-07-16",  # release_date null: the issue date stands in
        "date_added": "2024-08-02T07:45:51.003Z",
        "isbn": "1771000023",
    },
    {
        "asin": "B0TESTA004",
        "title": "Two Rivers Running (Unabridged)",
        "subtitle": "A Novel",
        "authors": "Carla Ruiz, Jon Ekberg",
        "narrators": "Pia Lund",
        "series_title": "River Cycle",
        "series_sequence": None,  # an unnumbered series entry ("")
        "is_finished": True,
        "percent_complete": 100.0,  # Audible's 100.00000001, clamped
        "runtime_length_min": 600,
        "release_date": "2016-03-01",
        "date_added": "2023-02-11T18:22:05.511Z",
        "isbn": None,
    },
    {
        "asin": "B0TESTP005",
        "title": "The Long Table",
        "subtitle": None,
        "authors": "Long Table Media",
        "narrators": None,
        "series_title": None,
        "series_sequence": None,
        "is_finished": False,  # null progress on a podcast parent
        "percent_complete": 0.0,
        "runtime_length_min": None,
        "release_date": "2020-02-02",
        "date_added": "2022-12-01T00:00:00.000Z",
        "isbn": None,
    },
]


def test_the_recorded_page_has_every_key_of_the_groups_requested() -> None:
    page = recorded_page()
    required = set(ALWAYS_RETURNED_KEYS).union(*GROUP_KEYS.values())
    for item in page["items"]:
        assert required <= set(item), item["asin"]
    assert set(GROUP_KEYS) <= set(page["response_groups"])


def test_a_recorded_page_converts_field_by_field(engine: sa.Engine, key: str, log: logging.Logger) -> None:
    page = recorded_page()
    with respx.mock:
        library = respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(items=page["items"]))
        fetch = resource().fetch_library(engine, ACCOUNT, log)
    groups = library.calls.last.request.url.params["response_groups"].split(",")
    assert "product_details" in groups  # where Audible sends the ISBN
    assert all(tuple(item) == EXPORT_KEYS for item in fetch.items)
    for got, expected in zip(fetch.items, EXPECTED_RECORDED, strict=True):
        for field in EXPORT_KEYS:
            assert got[field] == expected[field], f"{expected['asin']}.{field}"
    parsed = parse_library(fetch.items)
    assert not parsed.rejected and [i.isbn for i in parsed.items] == [e["isbn"] for e in EXPECTED_RECORDED]


def test_isbns_from_the_api_link_tracker_books(engine: sa.Engine, database_url: str, key: str) -> None:
    page = recorded_page()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO books (id, title, author, isbn, status) VALUES (:id, :t, :a, :i, 'to_read')"
            ),
            [
                # The print editions; without the API's ISBN these would link by fuzzy title only.
                {"id": 1, "t": "The Glass Meridian", "a": "Hale, Imogen", "i": "978-1-77100-001-7"},
                {"id": 2, "t": "Orchard of Bells", "a": "Osei, M. K.", "i": "9781771000024"},
            ],
        )
    with respx.mock:
        respx.get(LIBRARY_URL).mock(side_effect=FakeLibrary(items=page["items"]))
        assert run_sync(database_url, account=ACCOUNT, library_source="auto", audible=resource()).success
    with engine.connect() as conn:
        links = conn.execute(
            sa.text("SELECT asin, book_id, match_method FROM audible_book_mappings ORDER BY asin")
        ).all()
    # 1771000023 is the ISBN-10 form of 9781771000024.
    assert [tuple(r) for r in links] == [("B0TESTA001", 1, "isbn"), ("B0TESTA003", 2, "isbn")]
