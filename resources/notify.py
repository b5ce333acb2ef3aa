"""Telling the outside world a book was finished: a Dagster event always, a webhook when configured.

The webhook is off by default. Set ``AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL`` and
every completion is POSTed there as JSON after the sync has committed. A
failing webhook is logged (without its URL, which often carries a token) and
never fails the sync: the books are already up to date.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dagster as dg
import httpx
import sqlalchemy as sa

from domain.review import completions
from domain.settings import NOTIFY_WEBHOOK_ENV
from resources.queries import books as books_sql

WEBHOOK_TIMEOUT_SECONDS = 10.0
COMPLETION_EVENT = "audible_book_finished"


def completion_payload(account: str, change: Mapping[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    finished_at = details.get("finished_at")
    return {
        "event": COMPLETION_EVENT,
        "account": account,
        "asin": change["asin"],
        "book_id": int(change["book_id"]),
        "title": change["title"],
        "author": details.get("author"),
        "finished_at": finished_at.isoformat() if isinstance(finished_at, datetime) else finished_at,
    }


def completion_payloads(
    conn: sa.Connection, account: str, changes: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One payload per book a sync's progress changes finished (see ``domain.review.completions``)."""
    finished = completions(changes)
    details = books_sql.book_finish_dates(conn, [int(c["book_id"]) for c in finished])
    return [completion_payload(account, c, details.get(int(c["book_id"]), {})) for c in finished]


def completion_observation(payload: Mapping[str, Any]) -> dg.AssetObservation:
    """The event a person can hang a notification on (an asset sensor on tracker_book_progress)."""
    return dg.AssetObservation(
        asset_key="tracker_book_progress",
        description=f"Finished: {payload['title']} (book {payload['book_id']}) on {payload['finished_at']}",
        metadata={
            "event": COMPLETION_EVENT,
            "book_id": dg.MetadataValue.int(payload["book_id"]),
            "title": payload["title"],
            "author": payload["author"] or "",
            "finished_at": payload["finished_at"] or "",
            "account": payload["account"],
            "asin": payload["asin"],
        },
    )


def webhook_url() -> str | None:
    return (os.environ.get(NOTIFY_WEBHOOK_ENV) or "").strip() or None


def post_completions(payloads: Sequence[Mapping[str, Any]], log: Any, url: str | None = None) -> int:
    """POST each completion to the webhook; returns how many were delivered. Never raises."""
    url = url or webhook_url()
    if not url or not payloads:
        return 0
    delivered = 0
    try:
        with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
            for payload in payloads:
                try:
                    response = client.post(url, json=dict(payload))
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
                    delivered += 1
    except Exception as error:  # a malformed URL, say: still never the sync's failure
        log.warning(f"Completion webhook not called ({type(error).__name__}); check {NOTIFY_WEBHOOK_ENV}")
    return delivered
