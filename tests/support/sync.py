"""Running the real sync job against a test database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from pipelines.definitions import build_definitions
from resources import build_resources
from resources.library_source import demo_library_payload


def sync_definitions(database_url: str, **resource_options: Any) -> dg.Definitions:
    return build_definitions(build_resources(database_url=database_url, **resource_options))


def run_sync(
    database_url: str,
    *,
    account: str | None = None,
    force: bool = False,
    library_source: str = "demo",
    library_file: str | None = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    **resource_options: Any,
) -> dg.ExecuteInProcessResult:
    defs = sync_definitions(
        database_url, library_source=library_source, library_file=library_file, **resource_options
    )
    config: dict[str, Any] = {"force": force}
    if account:
        config["account"] = account
    return defs.resolve_job_def("audible_sync").execute_in_process(
        run_config={"ops": {"audible_library": {"config": config}}},
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def run_charts(
    database_url: str, *, instance: dg.DagsterInstance | None = None, account: str | None = None
) -> dg.ExecuteInProcessResult:
    """The audible_charts job: the listening charts, drawn after a sync."""
    config = {"account": account} if account else {}
    return (
        sync_definitions(database_url)
        .resolve_job_def("audible_charts")
        .execute_in_process(
            run_config={"ops": {"audible_listening_charts": {"config": config}}},
            instance=instance or dg.DagsterInstance.ephemeral(),
        )
    )


def allow_next_sync(engine: sa.Engine, account: str) -> None:
    """Move the last sync back past the minimum interval, as if time had passed."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE audible_config SET last_sync_at = last_sync_at - interval '1 day' WHERE account = :a"
            ),
            {"a": account},
        )


def row_versions(engine: sa.Engine, table: str) -> dict[Any, str]:
    """id -> xmin: a row's xmin changes whenever the row is written, even to the same values."""
    with engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(sa.text(f"SELECT id, xmin::text FROM {table}"))}


def demo_library_file(directory: Path, changes: dict[str, dict[str, Any]]) -> str:
    """The demo library as an export file, with ``changes`` applied to the titles they name (by ASIN)."""
    payload = demo_library_payload()
    for item in payload:
        item.update(changes.get(item["asin"], {}))
    path = directory / f"library-{len(list(directory.glob('library-*.json')))}.json"
    path.write_text(json.dumps(payload))
    return str(path)
