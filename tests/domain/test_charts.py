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
