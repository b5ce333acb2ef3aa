"""Text for people: Markdown tables for asset metadata and check descriptions, and counts.

Pure: no Dagster or database import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class Markdown(str):
    """Text to show as Markdown (a table, a list) among the plain values of a report."""


# How many rows a Markdown table in asset metadata shows; the rest is counted.
MAX_TABLE_ROWS = 25


def markdown_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, limit: int = MAX_TABLE_ROWS
) -> str:
    """A Markdown table of at most ``limit`` rows, saying how many were left out."""
    if not rows:
        return "_none_"
    # tabulate directly rather than through a pandas frame: importing pandas cost a
    # quarter of a second in every sync run that drew no chart.
    from tabulate import tabulate

    shown = [dict(row) for row in rows[:limit]]
    if columns is not None:
        shown = [{column: row.get(column) for column in columns} for row in shown]
    text = tabulate(shown, headers="keys", tablefmt="pipe", showindex=False)
    if len(rows) > limit:
        text += f"\n\n_… and {len(rows) - limit} more_"
    return text


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 conflict', '2 conflicts', '0 conflicts': a count with its noun in the right number."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def decision_counts(counts: Mapping[str, int]) -> str:
    """'27 linked, 2 conflicts, 1 unmatched' for match decision counts, in that order."""
    order = ("linked", "conflict", "unmatched")
    parts = [
        counted(counts[name], "conflict") if name == "conflict" else f"{counts[name]:,} {name}"
        for name in (*order, *sorted(set(counts) - set(order)))
        if counts.get(name)
    ]
    return ", ".join(parts)
