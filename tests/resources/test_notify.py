"""The completion webhook: https only (http to this machine), one deadline per sync, no URL in logs.

The endpoint is faked at the HTTP boundary (respx); httpx and its logging are real.
"""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from resources.notify import NOTIFY_WEBHOOK_ENV, post_completions, webhook_url_problem

TOKEN = "s3cret-webhook-token-0123456789"


def payloads(count: int) -> list[dict]:
    return [
        {
            "event": "audible_book_finished",
            "account": "reader",
            "asin": f"B0{n:08d}",
            "book_id": n,
            "title": f"Title {n}",
            "author": "Author",
            "finished_at": "2024-05-01",
        }
        for n in range(1, count + 1)
    ]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    caplog.set_level(logging.DEBUG)
    return logging.getLogger("test.notify")


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.test/finished?token=x",
        "http://localhost:8123/api/webhook/x",
        "http://127.0.0.1:9000/hook",
        "http://127.8.9.10/hook",
        "http://[::1]:9000/hook",
    ],
)
def test_accepted_webhook_urls(url: str) -> None:
    assert webhook_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.test/finished", "must use https://"),
        ("http://192.168.1.20/hook", "must use https://"),
        ("http://localhost.example.test/hook", "must use https://"),
        ("ftp://hooks.example.test/x", "must be an https:// URL, not ftp:"),
        ("hooks.example.test/finished", "has no host"),
    ],
)
def test_refused_webhook_urls(url: str, problem: str) -> None:
    assert problem in (webhook_url_problem(url) or "")


def test_plain_http_to_another_machine_is_never_called(
    log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://hooks.example.test/finished?token={TOKEN}"
    with respx.mock:
        hook = respx.post(url__startswith="http://hooks.example.test/").mock(return_value=httpx.Response(200))
        assert post_completions(payloads(2), log, url) == 0
    assert hook.call_count == 0
    assert f"Completion webhook not called: {NOTIFY_WEBHOOK_ENV} must use https://" in caplog.text
    assert TOKEN not in caplog.text


def test_http_to_loopback_is_called(log: logging.Logger) -> None:
    with respx.mock:
        hook = respx.post("http://127.0.0.1:8123/hook").mock(return_value=httpx.Response(204))
        assert post_completions(payloads(2), log, "http://127.0.0.1:8123/hook") == 2
    assert hook.call_count == 2


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_all_completions_of_a_sync_share_one_deadline(
    log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    timeouts: list[float] = []

    def slow_endpoint(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        clock.now += 8.0  # each answer takes 8 s
        return httpx.Response(200)

    url = f"https://hooks.example.test/finished?token={TOKEN}"
    with respx.mock:
        hook = respx.post(url__startswith="https://hooks.example.test/").mock(side_effect=slow_endpoint)
        delivered = post_completions(payloads(10), log, url, deadline_seconds=30.0, clock=clock)
    # 0, 8, 16, 24 s in: four calls, the last one given only the 6 s left.
    assert hook.call_count == 4 and delivered == 4
    assert timeouts == [10.0, 10.0, 10.0, 6.0]
    assert (
        "6 of 10 completion(s) not sent, the 30 s allowed for this sync's webhook calls ran out"
        in caplog.text
    )
    assert TOKEN not in caplog.text


def test_httpx_request_logging_does_not_show_the_url(
    log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"https://hooks.example.test/finished?token={TOKEN}"
    with respx.mock:
        respx.post(url__startswith="https://hooks.example.test/").mock(return_value=httpx.Response(200))
        assert post_completions(payloads(1), log, url) == 1
    # The root logger takes everything down to DEBUG here; httpx's INFO line
    # ("HTTP Request: POST <url> …") must still not be emitted.
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert TOKEN not in caplog.text and "HTTP Request" not in caplog.text


def test_a_failing_endpoint_is_a_warning_without_the_url(
    log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"https://hooks.example.test/finished?token={TOKEN}"
    with respx.mock:
        respx.post(url__startswith="https://hooks.example.test/").mock(
            side_effect=[httpx.Response(500), httpx.ConnectError("refused")]
        )
        assert post_completions(payloads(2), log, url) == 0
    assert "answered HTTP 500 for 'Title 1'" in caplog.text
    assert "unreachable (ConnectError) for 'Title 2'" in caplog.text
    assert TOKEN not in caplog.text
