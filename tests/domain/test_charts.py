"""The progress chart of a large library shows the most recently active books, and says so."""

from datetime import datetime, timedelta, timezone

import pandas as pd

from domain import charts


def test_progress_chart_draws_the_most_recently_active_books_and_names_the_total():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)  # noqa: UP017 (Python 3.10)
    books = charts.MAX_CHART_BOOKS * 5
    progress = pd.DataFrame(
        {
            "book_id": range(books),
            "title": [f"Book {i}" for i in range(books)],
            "recorded_at": pd.to_datetime([start + timedelta(hours=i) for i in range(books)], utc=True),
            "percent": [float(i % 100) for i in range(books)],
        }
    )
    picked, shown, total = charts._most_recent_books(progress, charts.MAX_CHART_BOOKS)
    assert (shown, total) == (charts.MAX_CHART_BOOKS, books)
    assert sorted(picked["book_id"]) == list(range(books - charts.MAX_CHART_BOOKS, books))

    markdown = charts.progress_chart(progress, "progress of reader")
    assert markdown.startswith(
        f"![progress of reader, the {charts.MAX_CHART_BOOKS} most recently active of {books} books"
    )
    assert "](data:image/png;base64," in markdown


def _pixels(figure):
    """Lay the figure out as the PNG is drawn, and return the renderer that measures it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    figure.tight_layout()
    canvas.draw()
    return canvas.get_renderer()


def test_a_legend_sits_above_the_bars_not_over_them():
    from domain.charts import stacked_bar_figure

    figure = stacked_bar_figure(["w1", "w2", "w3"], {"a": [10, 20, 30], "b": [5, 5, 50]}, "hours")
    renderer = _pixels(figure)
    (axes,) = figure.axes
    legend = axes.get_legend().get_window_extent(renderer)
    plot = axes.get_window_extent(renderer)
    assert legend.y0 >= plot.y1 - 1  # entirely above the plotting area


def test_a_single_bar_is_as_wide_as_one_of_many():
    from domain.charts import MIN_BAR_SLOTS, stacked_bar_figure

    def bar_width(labels):
        figure = stacked_bar_figure(labels, {"a": [1.0] * len(labels)}, "hours")
        renderer = _pixels(figure)
        (axes,) = figure.axes
        return axes.patches[0].get_window_extent(renderer).width, axes.get_window_extent(renderer).width

    one, plot = bar_width(["only"])
    many, _ = bar_width([f"w{i}" for i in range(MIN_BAR_SLOTS)])
    assert one <= plot / MIN_BAR_SLOTS
    assert abs(one - many) < 1.0


def test_hours_before_tracking_are_named_not_stacked_into_a_week():
    from domain.charts import hours_per_week_chart

    first_sync = hours_per_week_chart(["2026-11-30"], [0.0], 123.4)
    assert (
        first_sync.startswith("_No listening tracked yet")
        and "123.4 h listened before tracking" in first_sync
    )
    later = hours_per_week_chart(["2026-11-23", "2026-11-30"], [0.0, 4.5], 123.4)
    assert later.startswith(
        "![hours listened per week; 123.4 h listened before tracking began are not drawn]"
    )
