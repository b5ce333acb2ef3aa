"""Job `update_tracker_profile`: the tracker-wide settings (status words, progress scale) from the Launchpad.

The sibling of `update_audible_settings`, for what belongs to the tracker rather than to an
Audible account. Only the fields given change; a run with none shows the profile and what
`audible-tracker tracker check` would say. Values are validated by ``domain.tracker_profile``,
the same code as `audible-tracker tracker set`; a refused value fails the run and changes nothing.
"""

import dagster as dg

from domain.reports import markdown_table
from domain.tracker_profile import (
    SETTING_COLUMNS,
    TrackerSettingError,
    check_summary,
    parse_setting,
)
from resources.postgres_resource import PostgresResource
from resources.queries import tracker_profile as q


class TrackerProfileConfig(dg.Config):
    status_to_read: str | None = None
    """Your tracker's word for a book not started, e.g. to-read (Goodreads). Written when a book is created."""
    status_reading: str | None = None
    """Your tracker's word for a book being read, e.g. currently-reading. Written when Audible shows listening."""
    status_finished: str | None = None
    """Your tracker's word for a finished book, e.g. read. Written when Audible shows the title finished."""
    status_dnf: str | None = None
    """Your tracker's word for a book given up on, e.g. did-not-finish. Only read: the sync keeps that verdict."""
    progress_scale: str | None = None
    """percent (progress_percent holds 0–100) or fraction (0–1)."""
    reset: list[str] = []
    """Settings to forget so that their default applies again, e.g. [status.dnf, progress_scale]."""


def _changes(config: TrackerProfileConfig) -> dict[str, str | None]:
    changes: dict[str, str | None] = {}
    for key, column in SETTING_COLUMNS.items():
        value = getattr(config, column)
        if value is not None:
            changes.update([parse_setting(key, value)])
    for key in config.reset:
        if key not in SETTING_COLUMNS:
            raise TrackerSettingError(
                f"reset: unknown setting {key!r}; the settings are: {', '.join(SETTING_COLUMNS)}"
            )
        if SETTING_COLUMNS[key] in changes:
            raise TrackerSettingError(f"{key} is both given and reset; choose one")
        changes[SETTING_COLUMNS[key]] = None
    return changes


@dg.op(out=dg.Out(dict, description="The tracker profile after the change (null: not configured)."))
def apply_tracker_profile(
    context: dg.OpExecutionContext, config: TrackerProfileConfig, postgres: PostgresResource
) -> dg.Output[dict]:
    """Validate the given settings, store them in audible_tracker_profile in one statement, judge the tracker."""
    person = context.run.tags.get("dagster/user") or "the update_tracker_profile job"
    try:
        changes = _changes(config)
        with postgres.get_engine().begin() as conn:
            before, after = q.update_settings(conn, changes, f"{person} (run {context.run_id[:8]})")
        with postgres.get_engine().connect() as conn:
            shape = q.read_shape(conn, migrated=True)
    except TrackerSettingError as error:
        raise dg.Failure(description=f"Nothing changed: {error}") from None
    summary = check_summary(shape, after)
    changed = _changed_settings(before, after)
    context.log.info("; ".join(changed) or "no setting given or all already set; nothing changed")
    return dg.Output(
        {key: after.configured(key) for key in SETTING_COLUMNS},
        metadata=_profile_metadata(before, after, changed, summary),
    )


def _changed_settings(before, after) -> list[str]:
    return [
        f"{key}: {before.configured(key) or 'default'} → {after.configured(key) or 'default'}"
        for key in SETTING_COLUMNS
        if before.configured(key) != after.configured(key)
    ]


def _profile_metadata(before, after, changed: list[str], summary: dict) -> dict:
    rows = [
        {
            "setting": key,
            "before": before.configured(key) or "(default)",
            "now": after.configured(key) or "(default)",
        }
        for key in SETTING_COLUMNS
    ]
    return {
        "changed": dg.MetadataValue.md("\n".join(f"- {line}" for line in changed) or "_nothing_"),
        "settings": dg.MetadataValue.md(markdown_table(rows)),
        "sync_can_run": summary["sync_can_run"],
        "problems": dg.MetadataValue.md(
            "\n".join(f"- **{p['blocks']}**: {p['text']}" for p in summary["problems"]) or "_none_"
        ),
        "status_words_in_use": dg.MetadataValue.json(summary["status_words_in_use"]),
    }


@dg.job(
    name="update_tracker_profile",
    description=(
        "Change the tracker-wide profile: the words your books table uses for each reading state "
        "(status_to_read, status_reading, status_finished, status_dnf) and progress_scale (percent or "
        "fraction). Fill in only the fields to change under ops.apply_tracker_profile.config; reset "
        "forgets settings. The output shows what `audible-tracker tracker check` would report."
    ),
    executor_def=dg.in_process_executor,
)
def update_tracker_profile_job():
    apply_tracker_profile()
