"""Small PNG charts for asset metadata, as Markdown images with a base64 data URI.

The Dagster UI renders ``MetadataValue.md`` Markdown, images included, so a chart
needs no file server. matplotlib is imported inside the functions (and only its
object-oriented API with the Agg canvas is used, never pyplot's global state), so
loading the code location does not pay for it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the bar charts take plain sequences: drawing one does not import pandas
    import pandas as pd

_SIZE = (7.5, 3.2)
_DPI = 80
_COLORS = ("#4c72b0", "#dd8452", "#c44e52", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def _figure():
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI)
    return figure, figure.subplots()


def _markdown_image(figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![{alt}](data:image/png;base64,{encoded})"


def _short(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# A chart stays readable (and cheap to draw) with this many books; a large library has
# thousands in progress, and drawing 7,000 bars took 6 minutes and 900 MB.
MAX_CHART_BOOKS = 20


def _most_recent_books(progress: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, int, int]:
    """The points of the ``limit`` books with the latest activity (then furthest along)."""
    last = progress.groupby("book_id", sort=False).agg(at=("recorded_at", "max"), percent=("percent", "last"))
    if len(last) <= limit:
        return progress, len(last), len(last)
    keep = last.sort_values(["at", "percent"], ascending=False, kind="stable").index[:limit]
    return progress[progress["book_id"].isin(keep)], limit, len(last)


def progress_chart(progress: pd.DataFrame, alt: str = "progress over time") -> str:
    """One line per book: percent complete at each sync that recorded a change.

    While no book has more than one point yet (the first sync), a line would be a dot:
    the chart is then one bar per book with its percent complete.
    """
    if progress.empty:
        return "_No progress recorded yet for books in progress._"
    progress, shown, total = _most_recent_books(progress, MAX_CHART_BOOKS)
    if shown < total:
        alt = f"{alt}, the {shown} most recently active of {total} books"
    books = list(progress.groupby(["book_id", "title"], sort=False))
    figure, axes = _figure()
    if max(len(points) for _, points in books) == 1:
        latest = progress.sort_values("percent", kind="stable")
        axes.barh([_short(str(t)) for t in latest["title"]], latest["percent"], color=_COLORS[0])
        axes.set_ylim(*_room_for(len(latest)))
        axes.set_xlim(0, 100)
        axes.set_xlabel("% complete (one sync so far)")
        axes.tick_params(axis="y", labelsize=7)
        axes.grid(axis="x", alpha=0.3)
        figure.set_size_inches(_SIZE[0], max(_SIZE[1], 0.22 * len(books) + 0.8))
        return _markdown_image(figure, f"{alt} (one sync so far)")
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    for index, ((_, title), points) in enumerate(books):
        axes.plot(
            points["recorded_at"].dt.tz_convert("UTC").dt.tz_localize(None),
            points["percent"],
            marker="o",
            drawstyle="steps-post",
            color=_COLORS[index % len(_COLORS)],
            label=_short(str(title)),
        )
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_ylim(0, 100)
    axes.set_ylabel("% complete")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return _markdown_image(figure, alt)


# A chart with few bars keeps this many bar-widths of room, so one bar is a bar, not a wall.
MIN_BAR_SLOTS = 8


def _room_for(count: int) -> tuple[float, float]:
    """Axis limits around ``count`` bars at positions 0…count-1, never narrower than MIN_BAR_SLOTS."""
    pad = max(0.0, (MIN_BAR_SLOTS - count) / 2)
    return -0.5 - pad, count - 0.5 + pad


def stacked_bar_figure(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    colors: Sequence[str] = _COLORS,
    integer: bool = False,
):
    """The figure of ``stacked_bar_chart``: bars per label, one stacked segment per series."""
    from matplotlib.ticker import MaxNLocator

    figure, axes = _figure()
    if integer:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    positions = range(len(labels))
    bottom = [0.0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        values = [float(v) for v in values]
        axes.bar(positions, values, bottom=bottom, label=name, color=colors[index % len(colors)])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xlim(*_room_for(len(labels)))
    # At most about 12 labels, counted back from the newest so the last bar is always labelled.
    step = max(1, -(-len(labels) // 12))
    ticks = list(positions)[::-1][::step][::-1]
    axes.set_xticks(ticks, [labels[i] for i in ticks], rotation=45, ha="right")
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        # Above the plot, in one row: inside it, the legend covered the tallest bars.
        axes.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=len(series))
    return figure


def stacked_bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    alt: str,
    colors: Sequence[str] = _COLORS,
    integer: bool = False,
) -> str:
    """Bars per label, one stacked segment per series (in the order given)."""
    if not len(labels):
        return f"_No data yet for {alt}._"
    return _markdown_image(stacked_bar_figure(labels, series, ylabel, colors, integer), alt)


def hours_per_week_chart(weeks: Sequence[str], tracked: Sequence[float], before_tracking: float) -> str:
    """Hours listened per tracked week. Hours listened before tracking began are not a week's
    listening (they are everything up to the first sync), so they are named, not drawn."""
    before = (
        f"; {before_tracking:,.1f} h listened before tracking began are not drawn" if before_tracking else ""
    )
    if not any(float(hours) for hours in tracked):
        return f"_No listening tracked yet: hours appear from the second sync that sees progress{before}._"
    return stacked_bar_chart(
        list(weeks), {"hours listened": tracked}, "hours", f"hours listened per week{before}"
    )
