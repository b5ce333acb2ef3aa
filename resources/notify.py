"""Telling the outside world a book was finished: a Dagster event always, a webhook when configured.

The webhook is off by default. Set ``AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL`` and
every completion is POSTed there as JSON after the sync has committed. A
failing webhook is logged (without its URL, which often carries a token) and
never fails the sync: the books are already up to date.

The URL must be ``https://``: the payload names the reader's books and the
URL usually holds a token. Plain ``http://`` is accepted only to this machine
(localhost, 127.0.0.0/8, ::1), where nothing crosses a network. All of a
sync's completions share one deadline, so an unresponsive endpoint costs a
sync at most that long, however many books were finished.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import dagster as dg
import httpx
import sqlalchemy as sa

from domain.review import completions
from domain.settings import NOTIFY_WEBHOOK_ENV
from resources.queries import books as books_sql

# Longest wait for one POST.
WEBHOOK_TIMEOUT_SECONDS = 10.0
# Longest wait for all of one sync's POSTs together.
WEBHOOK_DEADLINE_SECONDS = 30.0
COMPLETION_EVENT = "audible_book_finished"


def plain_book_id(book_id: Any) -> int | str:
    """A tracker book id as JSON holds it: integer ids stay numbers, uuid ids become text."""
    return book_id if isinstance(book_id, int) else str(book_id)


def completion_payload(account: str, change: Mapping[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    finished_at = details.get("finished_at")
    return {
        "event": COMPLETION_EVENT,
        "account": account,
        "asin": change["asin"],
        "book_id": plain_book_id(change["book_id"]),
        "title": change["title"],
        "author": details.get("author"),
        "finished_at": finished_at.isoformat() if isinstance(finished_at, datetime) else finished_at,
    }


def completion_payloads(
    conn: sa.Connection, account: str, changes: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One payload per book a sync's progress changes finished (see ``domain.review.completions``)."""
    finished = completions(changes)
    details = books_sql.book_finish_dates(conn, [c["book_id"] for c in finished])
    return [completion_payload(account, c, details.get(c["book_id"], {})) for c in finished]


def completion_observation(payload: Mapping[str, Any]) -> dg.AssetObservation:
    """The event a person can hang a notification on (an asset sensor on tracker_book_progress)."""
    return dg.AssetObservation(
        asset_key="tracker_book_progress",
        description=f"Finished: {payload['title']} (book {payload['book_id']}) on {payload['finished_at']}",
        metadata={
            "event": COMPLETION_EVENT,
            "book_id": (
                dg.MetadataValue.int(payload["book_id"])
                if isinstance(payload["book_id"], int)
                else dg.MetadataValue.text(payload["book_id"])
            ),
            "title": payload["title"],
            "author": payload["author"] or "",
            "finished_at": payload["finished_at"] or "",
            "account": payload["account"],
            "asin": payload["asin"],
        },
    )


def webhook_url() -> str | None:
    return (os.environ.get(NOTIFY_WEBHOOK_ENV) or "").strip() or None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def webhook_url_problem(url: str) -> str | None:
    """Why the webhook URL is refused, or None. The message never repeats the URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "is not a valid URL"
    if not parsed.host:
        return "has no host"
    if parsed.scheme == "https":
        return None
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return None
    if parsed.scheme == "http":
        return "must use https:// (http:// is accepted only to localhost, 127.0.0.1 or ::1)"
    return f"must be an https:// URL, not {parsed.scheme or 'a relative'}:"


def post_completions(
    payloads: Sequence[Mapping[str, Any]],
    log: Any,
    url: str | None = None,
    *,
    deadline_seconds: float = WEBHOOK_DEADLINE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """POST each completion to the webhook within one deadline; returns how many were delivered.

    Never raises: the sync has committed, and a notification problem is
    logged as a warning. Completions left when the deadline has passed are
    not sent (the observation events still record them).
    """
    url = url or webhook_url()
    if not url or not payloads:
        return 0
    problem = webhook_url_problem(url)
    if problem:
        log.warning(f"Completion webhook not called: {NOTIFY_WEBHOOK_ENV} {problem}")
        return 0
    deadline = clock() + deadline_seconds
    delivered = 0
    try:
        with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
            for index, payload in enumerate(payloads):
                remaining = deadline - clock()
                if remaining <= 0:
                    log.warning(
                        f"Completion webhook: {len(payloads) - index} of {len(payloads)} completion(s) not sent, "
                        f"the {deadline_seconds:g} s allowed for this sync's webhook calls ran out; "
                        "the sync itself succeeded"
                    )
                    break
                if _post(client, url, payload, min(WEBHOOK_TIMEOUT_SECONDS, remaining), log):
                    delivered += 1
    except Exception as error:  # still never the sync's failure
        log.warning(f"Completion webhook not called ({type(error).__name__}); check {NOTIFY_WEBHOOK_ENV}")
    return delivered


def _post(client: httpx.Client, url: str, payload: Mapping[str, Any], timeout: float, log: Any) -> bool:
    try:
        response = client.post(url, json=dict(payload), timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPStatusError as error:
        log.warning(
            f"Completion webhook answered HTTP {error.response.status_code} for "
            f"{payload['title']!r}; the sync itself succeeded"
        )
    except httpx.HTTPError as error:
        log.warning(
            f"Completion webhook unreachable ({type(error).__name__}) for {payload['title']!r}; "
            "the sync itself succeeded"
        )
    else:
        return True
    return False
