"""Asset checks: what a person should look at after a sync."""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from domain.review import review_summary
from resources.postgres_resource import PostgresResource
from resources.queries import conflicts as cq

CONFLICTS_CHECK = "unresolved_conflicts"
CONFLICTS_ASSET = "audible_book_mappings"
CONFLICTS_CHECK_KEY = dg.AssetCheckKey(dg.AssetKey(CONFLICTS_ASSET), CONFLICTS_CHECK)


def _metadata(summary: Mapping[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "open_conflicts": dg.MetadataValue.int(summary["open_conflicts"]),
        "by_account": dg.MetadataValue.json(summary["by_account"]),
        "conflicts": dg.MetadataValue.md(summary["table"]),
    }
    if summary["run_config"]:
        # Plain text, nothing around it: the UI's Copy button yields Launchpad YAML as it stands.
        metadata["run_config"] = dg.MetadataValue.text(summary["run_config"])
    return metadata


def conflicts_check_result(conflicts: Sequence[Mapping[str, Any]]) -> dg.AssetCheckResult:
    summary = review_summary(conflicts)
    return dg.AssetCheckResult(
        passed=summary["passed"],
        severity=dg.AssetCheckSeverity.WARN,
        description=summary["description"],
        metadata=_metadata(summary),
    )


def _latest_mappings_materialization(instance: dg.DagsterInstance | None) -> Any:
    """The materialization a fresh evaluation speaks about, so the UI shows it as the current result."""
    try:  # not exported by dagster; without it the evaluation is still recorded, just unattached
        from dagster._core.definitions.asset_checks.asset_check_evaluation import (
            AssetCheckEvaluationTargetMaterializationData,
        )
    except ImportError:  # pragma: no cover
        return None
    if instance is None:
        return None
    records = instance.fetch_materializations(CONFLICTS_CHECK_KEY.asset_key, limit=1).records
    if not records:
        return None
    record = records[0]
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
    )


def conflicts_check_evaluation(
    conflicts: Sequence[Mapping[str, Any]], instance: dg.DagsterInstance | None = None
) -> dg.AssetCheckEvaluation:
    """The same result, as an event a sensor or a resolution job reports outside the sync."""
    summary = review_summary(conflicts)
    return dg.AssetCheckEvaluation(
        target_materialization_data=_latest_mappings_materialization(instance),
        asset_key=CONFLICTS_CHECK_KEY.asset_key,
        check_name=CONFLICTS_CHECK,
        passed=summary["passed"],
        severity=dg.AssetCheckSeverity.WARN,
        description=summary["description"],
        metadata=_metadata(summary),
    )


@dg.asset_check(
    asset=CONFLICTS_ASSET,
    name=CONFLICTS_CHECK,
    description=(
        "Uncertain matches waiting for a person (all accounts). WARN: the sync succeeds anyway. "
        "The metadata lists them with their candidates and holds a run config deciding them all with "
        "resolve_audible_conflicts; `audible-tracker review` walks them one key per decision."
    ),
)
def unresolved_conflicts(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.get_engine().connect() as conn:
        return conflicts_check_result(cq.open_conflicts(conn))
