"""Plain reports from the domain package as Dagster materialization metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from domain.reports import Markdown


def as_metadata(report: Mapping[str, Any]) -> dict[str, Any]:
    """Markdown values become Markdown metadata; numbers, flags and text stay as Dagster types them."""
    return {
        key: dg.MetadataValue.md(value) if isinstance(value, Markdown) else value
        for key, value in report.items()
    }
