"""SQL of the sync settings (columns of audible_config) and the status object.

The settings live only in ``audible_config``: ``audible_can_sync()``, the
schedule and the CLI read them there on every call, so a change takes effect
at the next schedule tick without a restart. Validation happens before these
functions are called (``domain.settings``); the database's CHECK constraints
stay as the last line of defence.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from domain.accounts import AccountChoiceError
from domain.settings import SETTINGS, SettingError, validate_changes
from resources.queries import stats_views, sync_logs

# Shown beside the settings: the state the rate limit works from (not settable).
STATE_COLUMNS = ("source", "marketplace", "last_sync_at", "syncs_today", "daily_reset_date", "updated_at")
_SETTING_LIST = ", ".join(SETTINGS)  # identifiers from our own constant, never from input
_STATE_LIST = ", ".join(STATE_COLUMNS)


def read_settings(conn: sa.Connection, account: str) -> dict[str, Any] | None:
    """The account's settings and rate-limit state, or None when the account has no row."""
    row = conn.execute(
        sa.text(f"SELECT account, {_SETTING_LIST}, {_STATE_LIST} FROM audible_config WHERE account = :a"),
        {"a": account},
    ).one_or_none()
    return dict(row._mapping) if row is not None else None


def timezone_known(conn: sa.Connection, name: str) -> bool:
    """Whether this PostgreSQL server can compute midnight in ``name`` (its own zone list may lag)."""
    return bool(
        conn.execute(
            sa.text("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = :n)"), {"n": name}
        ).scalar()
    )


def update_settings(
    conn: sa.Connection, account: str, changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate and apply ``changes`` to one account; returns (before, after).

    All changes are validated before anything is written, and are written in one
    statement: a refused value leaves every setting as it was. Raises
    SettingError for a refused value and AccountChoiceError for a missing account.
    """
    accepted = validate_changes(changes)
    if "timezone" in accepted and not timezone_known(conn, accepted["timezone"]):
        raise SettingError(
            "timezone",
            f"timezone must be a time zone this PostgreSQL server knows; {accepted['timezone']!r} is "
            "not in pg_timezone_names (update the server's time zone data or choose a neighbouring zone)",
        )
    before = conn.execute(
        sa.text(f"SELECT {_SETTING_LIST} FROM audible_config WHERE account = :a FOR UPDATE"),
        {"a": account},
    ).one_or_none()
    if before is None:
        raise AccountChoiceError(
            f"no Audible account named {account!r} is configured; run a sync first "
            "(dagster job execute -m pipelines.definitions -j audible_sync) "
            "or connect it with `audible-tracker auth login`"
        )
    if accepted:
        assignments = ", ".join(f"{key} = :{key}" for key in accepted)
        conn.execute(
            sa.text(f"UPDATE audible_config SET {assignments}, updated_at = now() WHERE account = :account"),
            {**accepted, "account": account},
        )
    before_values = dict(before._mapping)
    return before_values, {**before_values, **accepted}


def sync_status(conn: sa.Connection, account: str, stats: dict[str, int] | None = None) -> dict[str, Any]:
    """The status object of one account: what `audible-tracker status` prints.

    ``stats`` (``stats_views.status_stats``) when the caller has just read audible_sync_stats.
    """
    permission = sync_logs.can_sync(conn, account)
    if stats is None:
        stats = stats_views.sync_stats(conn, account)
    return {
        "account": account,
        "can_sync": permission.can_sync,
        "reason": permission.reason,
        "next_allowed_sync": (
            permission.next_allowed_sync.isoformat() if permission.next_allowed_sync else None
        ),
        "syncs_remaining_today": permission.syncs_remaining_today,
        "stats": stats,
    }
