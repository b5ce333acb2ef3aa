"""`audible-tracker sync`: run the `audible_sync` job now, show its progress, print what it did.

The job runs through Dagster's Python API, in this process, on the instance of
DAGSTER_HOME when it is set (the run then appears in the UI's run history) and
on a temporary in-memory instance otherwise. It is the same job the schedule
and `dagster job execute -m pipelines.definitions -j audible_sync` run.

Exit codes: 0 synced, 1 failed, 2 usage error, 3 refused by the rate limit or a
pause, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.cli.errors import (
    ErrorLink,
    error_info_line,
    links_from_error_info,
    unexpected_line,
)

EXIT_SYNCED, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
INTERRUPTED_LINE = "interrupted; nothing of this sync was kept"
SYNC_JOB = "audible_sync"
# The job's steps in the order they run, and how a person would call each.
STEPS = {
    "audible_library": "Fetching the library",
    "audible_book_matches": "Matching titles to tracker books",
    "audible_sync_writes": "Writing mappings, progress and history",
    "audible_book_mappings_unresolved_conflicts": "Checking open conflicts",
    "audible_stats": "Refreshing the stats",
}
_PAGE = re.compile(r"^page (\d+)(?:/(\d+))? fetched \(([\d,]+)(?: of ([\d,]+))? titles")
_MATCHED = re.compile(r"^Matched (\d+) unmapped titles against (\d+) tracker books: (.*)$")


class UsageProblem(Exception):
    """A request that cannot be run as given (exit code 2)."""


@dataclass
class SyncSummary:
    """What one sync did, as `--json` prints it."""

    status: str
    account: str | None = None
    source: str | None = None
    titles: int = 0
    new_links: int = 0
    conflicts_opened: int = 0
    unmatched: int = 0
    books_updated: int = 0
    history_rows: int = 0
    open_conflicts: int = 0
    seconds: float = 0.0
    run_id: str | None = None
    reason: str | None = None
    next_allowed_sync: str | None = None
    materialized: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("materialized")
        return {key: value for key, value in data.items() if value is not None}


def add_sync_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "sync",
        help="sync the Audible library into the tracker now (runs the audible_sync job)",
        description="Run the audible_sync job now: show its progress, then print what it did.",
        epilog=(
            "exit codes: 0 synced, 1 failed, 2 usage error, 3 refused by the rate limit or a pause, "
            "130 interrupted"
        ),
    )
    parser.add_argument(
        "--account", help="Audible account to sync (default: the only configured one)", metavar="NAME"
    )
    parser.add_argument(
        "--force", action="store_true", help="sync even if the rate limit says no (it still counts)"
    )
    parser.add_argument(
        "--library",
        type=Path,
        metavar="FILE",
        help="read this audible-cli `library export` file (TSV, CSV or JSON) instead of calling Audible",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run_sync_command)
    return parser


# -- progress ----------------------------------------------------------------------------


class SyncProgress:
    """The current step on a terminal (rich), fed by the run's events as they are stored."""

    def __init__(self, enabled: bool):
        self._progress = None
        self._task = None
        self._step_label = ""
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(bar_width=20),
                TextColumn("{task.completed:.0f}/{task.total:.0f} steps"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> SyncProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("Starting the sync", total=len(STEPS))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _show(self, description: str, advance: int = 0) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description, advance=advance)

    def on_event(self, entry: Any) -> None:
        """Instance event listener: every event of the run, in order."""
        event = entry.dagster_event
        if event is None:
            self._on_message(entry.step_key, entry.user_message or "")
        elif event.event_type_value == "STEP_START" and event.step_key in STEPS:
            self._step_label = STEPS[event.step_key]
            self._show(self._step_label)
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_SKIPPED") and event.step_key in STEPS:
            self._show(self._step_label, advance=1)

    def _on_message(self, step_key: str | None, message: str) -> None:
        page = _PAGE.match(message)
        if page:
            number, pages, received, total = page.groups()
            of_pages = f"/{pages}" if pages else ""
            of_titles = f" of {total}" if total else ""
            self._show(f"{STEPS['audible_library']}: page {number}{of_pages} ({received}{of_titles} titles)")
            return
        matched = _MATCHED.match(message)
        if matched:
            count, _, decisions = matched.groups()
            self._show(f"Matched {count} titles: {decisions}")


# -- running the job -----------------------------------------------------------------------


@contextmanager
def sync_instance() -> Iterator[Any]:
    """DAGSTER_HOME's instance when set, so the run shows in the UI; else a temporary one."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        with dg.DagsterInstance.ephemeral() as instance:
            yield instance
        return
    try:
        instance = dg.DagsterInstance.get()
    except Exception as error:  # Dagster says why (not absolute, missing, bad dagster.yaml)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UsageProblem(f"cannot open the Dagster instance of DAGSTER_HOME={home}: {first}") from None
    with instance:
        yield instance


def choose_sync_account(database_url: str | None, requested: str | None) -> str | None:
    """The account named (it must exist), else the only configured one; None lets the job choose."""
    from domain.accounts import AccountChoiceError, choose_account, real_accounts
    from resources.postgres import get_engine
    from resources.queries import accounts as accounts_sql

    with get_engine(database_url).connect() as conn:
        sources = accounts_sql.account_sources(conn)
    if not requested and not real_accounts(sources):
        return None  # the job syncs the account its first sync creates (the demo, or `default` for a file)
    try:
        return choose_account(requested, sources)
    except AccountChoiceError as error:
        raise UsageProblem(str(error)) from None


def _run_config(account: str | None, force: bool, debug: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"force": force}
    if account:
        config["account"] = account
    # Dagster's own console log is for --debug; without it the progress and summary say it all.
    level = "DEBUG" if debug else "CRITICAL"
    return {
        "ops": {"audible_library": {"config": config}},
        "loggers": {"console": {"config": {"log_level": level}}},
    }


def execute_sync(args: argparse.Namespace, run_id: str, progress: SyncProgress, instance: Any) -> Any:
    """Run the job once as run ``run_id``; returns Dagster's result."""
    from pipelines.definitions import build_definitions
    from resources import build_resources
    from resources.library_source import LIBRARY_FILE_ENV
    from resources.postgres import DATABASE_URL_ENV

    database_url = os.environ.get(DATABASE_URL_ENV) or None
    library_file = str(args.library.expanduser().resolve()) if args.library else None
    account = choose_sync_account(database_url, args.account)
    defs = build_definitions(
        build_resources(
            database_url=database_url, library_file=library_file or os.environ.get(LIBRARY_FILE_ENV) or None
        )
    )
    instance.add_event_listener(run_id, progress.on_event)
    tags = {"audible/account": account} if account else {}
    return defs.resolve_job_def(SYNC_JOB).execute_in_process(
        run_config=_run_config(account, args.force, getattr(args, "debug", False)),
        instance=instance,
        run_id=run_id,
        tags={**tags, "audible/started_by": "audible-tracker sync"},
        raise_on_error=False,
    )


# -- reading what the run did -----------------------------------------------------------------


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def materialized_metadata(events: Any) -> dict[str, dict[str, Any]]:
    """asset key → its materialization's metadata (plain values) for every asset the run wrote."""
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        materialization = event.step_materialization_data.materialization
        found[materialization.asset_key.to_user_string()] = {
            key: _metadata_value(value) for key, value in materialization.metadata.items()
        }
    return found


def summary_of_success(result: Any, run_id: str, seconds: float) -> SyncSummary:
    meta = materialized_metadata(result.all_events)
    library = meta.get("audible_library", {})
    matches = meta.get("audible_book_matches", {})
    mappings = meta.get("audible_book_mappings", {})
    return SyncSummary(
        status="synced",
        account=library.get("account"),
        source=library.get("source"),
        titles=int(library.get("titles") or 0),
        new_links=int(mappings.get("mappings_created") or 0),
        conflicts_opened=int(mappings.get("conflicts_opened") or 0),
        unmatched=int(matches.get("unmatched") or 0),
        books_updated=int(meta.get("tracker_book_progress", {}).get("books_updated") or 0),
        history_rows=int(meta.get("audible_progress_history", {}).get("rows_appended") or 0),
        open_conflicts=int(meta.get("audible_sync_stats", {}).get("open_conflicts") or 0),
        seconds=round(seconds, 1),
        run_id=run_id,
        materialized=meta,
    )


@dataclass(frozen=True)
class FailedRun:
    exit_code: int
    line: str
    detail: str  # the full error, for --debug


def _first_step_failure(result: Any) -> Any:
    return next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)


def _interrupted(result: Any) -> bool:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            source = getattr(event.step_failure_data.error_source, "value", "")
            if source == "INTERRUPT":
                return True
        if event.event_type_value in ("PIPELINE_CANCELED", "RUN_CANCELED"):
            return True
    return False


def _sync_log_row(run_id: str) -> Any:
    from resources.postgres import get_engine
    from resources.queries import sync_logs as sync_logs_sql

    try:
        with get_engine().connect() as conn:
            return sync_logs_sql.sync_log_for_run(conn, run_id)
    except Exception:  # the database that just failed the run may still be away
        return None


def _refusal(log: Any) -> FailedRun:
    from resources.postgres import get_engine
    from resources.queries import sync_logs as sync_logs_sql

    reason = (log.error or "the rate limit said no").rstrip(".")
    with get_engine().connect() as conn:
        permission = sync_logs_sql.can_sync(conn, log.account)
    line = f"sync of account {log.account!r} refused: {reason}"
    if permission.next_allowed_sync and "next allowed" not in reason:
        line += f"; next allowed sync at {permission.next_allowed_sync:%Y-%m-%d %H:%M %Z}"
    if "disabled" not in reason:
        line += " (--force syncs anyway)"
    return FailedRun(EXIT_REFUSED, line, line)


def failed_run(result: Any, run_id: str) -> FailedRun:
    """Why the run failed, as one line, and the exit code it means."""
    if _interrupted(result):
        return FailedRun(EXIT_INTERRUPTED, INTERRUPTED_LINE, INTERRUPTED_LINE)
    log = _sync_log_row(run_id)
    if log is not None and log.status == "skipped":
        return _refusal(log)
    failure = _first_step_failure(result)
    if failure is None:
        return FailedRun(EXIT_FAILED, "the sync run failed before any step ran", "")
    data = failure.step_failure_data
    links: list[ErrorLink] = links_from_error_info(data.error) if data.error else []
    detail = data.error.to_string() if data.error else ""
    user = data.user_failure_data
    line = (user.description if user and user.description else None) or error_info_line(data.error)
    refused = any(link.is_a({"SyncRefused"}) for link in links)
    if line is None:
        return FailedRun(EXIT_FAILED, f"step {failure.step_key} failed: {unexpected_line(links)}", detail)
    return FailedRun(EXIT_REFUSED if refused else EXIT_FAILED, " ".join(line.split()), detail)


def close_interrupted_sync(run_id: str) -> bool:
    """Close the run's sync log row if the interrupt left it open; True when the writes had committed."""
    from resources.postgres import get_engine
    from resources.queries import sync_logs as sync_logs_sql

    try:
        with get_engine().begin() as conn:
            sync_logs_sql.fail_running_sync_logs_of_run(
                conn, run_id, "interrupted (Ctrl-C); none of this sync's writes were kept"
            )
            log = sync_logs_sql.sync_log_for_run(conn, run_id)
    except Exception:
        return False  # the process ends next: the next sync marks the row abandoned
    # The liveness lock went with the run's sync_log resource (or goes with this process, which ends next).
    return log is not None and log.status == "success"


# -- output -----------------------------------------------------------------------------------


def summary_text(summary: SyncSummary) -> str:
    source = {"file": "library file", "api": "Audible", "demo": "demo library"}.get(summary.source or "", "")
    head = f"Synced account {summary.account!r}" + (f" from the {source}" if source else "")
    rows = [
        ("titles", summary.titles),
        ("new links", summary.new_links),
        ("conflicts opened", summary.conflicts_opened),
        ("unmatched", summary.unmatched),
        ("books updated", summary.books_updated),
        ("history rows", summary.history_rows),
    ]
    lines = [f"{head} in {summary.seconds:.1f} s"]
    lines += [f"  {label:<17}{value:>7,}" for label, value in rows]
    if summary.open_conflicts:
        noun = "conflict waits" if summary.open_conflicts == 1 else "conflicts wait"
        lines.append(f"{summary.open_conflicts} {noun} for a decision: run `audible-tracker review`")
    return "\n".join(lines)


def _report_failure(args: argparse.Namespace, failure: FailedRun, run_id: str) -> int:
    interrupted = failure.exit_code == EXIT_INTERRUPTED
    print(failure.line if interrupted else f"error: {failure.line}", file=sys.stderr)
    if getattr(args, "debug", False) and failure.detail and failure.detail != failure.line:
        print(failure.detail, file=sys.stderr)
    if args.json:
        status = {EXIT_REFUSED: "refused", EXIT_INTERRUPTED: "interrupted"}.get(failure.exit_code, "failed")
        print(json.dumps({"status": status, "reason": failure.line, "run_id": run_id}))
    return failure.exit_code


def run_sync_command(args: argparse.Namespace) -> int:
    started = time.monotonic()
    run_id = str(uuid.uuid4())
    try:
        with sync_instance() as instance, SyncProgress(sys.stderr.isatty()) as progress:
            result = execute_sync(args, run_id, progress, instance)
        if not result.success:
            failure = failed_run(result, run_id)
            if failure.exit_code == EXIT_INTERRUPTED:
                raise KeyboardInterrupt
            return _report_failure(args, failure, run_id)
    except UsageProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        kept = close_interrupted_sync(run_id)
        line = (
            "interrupted after this sync's writes were saved; only the stats were not refreshed"
            if kept
            else INTERRUPTED_LINE
        )
        return _report_failure(args, FailedRun(EXIT_INTERRUPTED, line, line), run_id)
    summary = summary_of_success(result, run_id, time.monotonic() - started)
    print(json.dumps(summary.to_json(), indent=2) if args.json else summary_text(summary))
    return EXIT_SYNCED
