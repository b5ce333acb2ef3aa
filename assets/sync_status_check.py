"""Check on audible_sync_stats: the account's status object after every sync.

Answers, on the asset's page in the Dagster UI, "when will it sync next, and
why not now?" with the same object `audible-tracker status` prints, computed by
``audible_can_sync()`` from the settings in audible_config.
"""

import dagster as dg
import sqlalchemy as sa

from domain.reports import markdown_table
from domain.settings import SETTINGS, format_value, sync_blocked
from resources.queries import settings as q

STATUS_CHECK_DESCRIPTION = (
    "The account's sync status after this sync: can_sync, reason, next allowed sync, syncs left "
    "today, stats, and the settings they follow from. Warns when syncing is paused or the daily "
    "limit is spent (waiting for the minimum interval is normal and passes)."
)


def sync_status_result(
    conn: sa.Connection, account: str, stats: dict[str, int] | None = None
) -> dg.AssetCheckResult:
    """The audible_sync_status check on audible_sync_stats, evaluated in the stats step
    (``stats``: the status stats of the audible_sync_stats row it has just read)."""
    status = q.sync_status(conn, account, stats)
    settings = q.read_settings(conn, account) or {}
    blocked = sync_blocked(bool(settings.get("enabled")), status["syncs_remaining_today"])
    next_sync = status["next_allowed_sync"]
    if status["can_sync"]:
        summary = "Can sync now."
    elif next_sync:
        summary = f"Next sync allowed at {next_sync}: {status['reason']}."
    else:
        summary = f"Not syncing: {status['reason']}."
    return dg.AssetCheckResult(
        asset_key="audible_sync_stats",
        check_name="audible_sync_status",
        passed=blocked is None,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary if blocked is None else f"Needs attention: {blocked}. {summary}",
        metadata={
            "account": account,
            "can_sync": status["can_sync"],
            "reason": status["reason"],
            "next_allowed_sync": next_sync or "none",
            "syncs_remaining_today": dg.MetadataValue.int(status["syncs_remaining_today"]),
            **{f"stats_{key}": dg.MetadataValue.int(value) for key, value in status["stats"].items()},
            "status": dg.MetadataValue.json(status),
            "settings": dg.MetadataValue.md(
                markdown_table(
                    [{"setting": key, "value": format_value(settings.get(key))} for key in SETTINGS]
                )
            ),
        },
    )
