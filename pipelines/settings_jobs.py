"""Job `update_audible_settings`: change an account's sync settings from the Launchpad.

Every field is optional: only the ones given change, and a run with none just
shows the current settings. Values are validated by ``domain.settings``, the
same code as `audible-tracker config set`; a refused value fails the run with
the setting named and changes nothing.
"""

import dagster as dg
from pydantic import Field

from domain.accounts import NAME_IN_JOB_CONFIG, AccountChoiceError
from domain.reports import markdown_table
from domain.settings import (
    NOTIFY_WEBHOOK_ENV,
    SETTINGS,
    SettingError,
    describe_changes,
)
from resources.postgres_resource import PostgresResource
from resources.queries import accounts as accounts_sql
from resources.queries import settings as q


def _setting(key: str):
    """A settings field whose Launchpad description is the CLI's: what it does and what it accepts."""
    setting = SETTINGS[key]
    return Field(
        default=None,
        description=f"{setting.help[0].upper()}{setting.help[1:]}: {setting.allowed}. "
        "Empty leaves it as it is.",
    )


class AudibleSettingsConfig(dg.Config):
    account: str | None = Field(
        default=None,
        description="Audible account to change; empty means the only configured one.",
    )
    enabled: bool | None = _setting("enabled")
    min_interval_minutes: int | None = _setting("min_interval_minutes")
    daily_limit: int | None = _setting("daily_limit")
    timezone: str | None = _setting("timezone")
    log_retention_days: int | None = _setting("log_retention_days")
    auto_add_min_progress: int | None = Field(
        default=None,
        description=_setting("auto_add_min_progress").description + " Off is 0 here.",
    )


@dg.op(out=dg.Out(dict, description="The account's settings after the change."))
def apply_audible_settings(
    context: dg.OpExecutionContext, config: AudibleSettingsConfig, postgres: PostgresResource
) -> dg.Output[dict]:
    """Validate the given settings, write them to audible_config in one statement, show the result."""
    changes = {key: getattr(config, key) for key in SETTINGS if getattr(config, key) is not None}
    engine = postgres.get_engine()
    try:
        with engine.begin() as conn:
            account = accounts_sql.resolve_account(conn, config.account, how_to_name=NAME_IN_JOB_CONFIG)
            before, after = q.update_settings(conn, account, changes)
        with engine.connect() as conn:
            status = q.sync_status(conn, account)
    except (SettingError, AccountChoiceError) as error:
        raise dg.Failure(description=f"Nothing changed: {error}") from None
    changed = describe_changes(before, after)
    if changed:
        context.log.info(f"Account {account!r}: {'; '.join(changed)} (applies from the next schedule tick)")
    else:
        context.log.info(f"Account {account!r}: no setting given or all already set; nothing changed")
    return dg.Output(
        {key: after[key] for key in SETTINGS},
        metadata={
            "account": account,
            "changed": dg.MetadataValue.md("\n".join(f"- {line}" for line in changed) or "_nothing_"),
            "settings": dg.MetadataValue.md(
                markdown_table(
                    [
                        {
                            "setting": key,
                            "before": SETTINGS[key].show(before[key]),
                            "now": SETTINGS[key].show(after[key]),
                        }
                        for key in SETTINGS
                    ]
                )
            ),
            "notify_webhook": "set" if dg.EnvVar(NOTIFY_WEBHOOK_ENV).get_value() else "not set",
            "can_sync": status["can_sync"],
            "reason": status["reason"],
            "next_allowed_sync": status["next_allowed_sync"] or "none",
            "status": dg.MetadataValue.json(status),
        },
    )


@dg.job(
    name="update_audible_settings",
    description=(
        "Change an account's sync settings (enabled, min_interval_minutes, daily_limit, timezone, "
        "log_retention_days, auto_add_min_progress): fill in only the fields to change under "
        "ops.apply_audible_settings.config. Applies from the next schedule tick."
    ),
    executor_def=dg.in_process_executor,
)
def update_audible_settings_job():
    apply_audible_settings()
