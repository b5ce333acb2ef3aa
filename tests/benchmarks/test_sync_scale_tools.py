"""The scale benchmark's own tools: deterministic data of the promised mix, and an honest statement count."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from benchmarks.sync_scale import StatementCounter, change_progress
from benchmarks.synthetic import AUTHOR_FORMS, MIXES, TRUE_BOOK, generate, generate_labelled
from domain.library_items import parse_library
from domain.matching import BookIndex, TrackerBook
from domain.normalize import normalize_isbn


def test_generated_data_is_deterministic_and_has_the_isbn_fuzzy_absent_mix():
    library, books = generate(1000, 10_000, seed=3)
    assert (library, books) == generate(1000, 10_000, seed=3)
    assert len(library) == 1000 and len(books) == 10_000
    assert len({item["asin"] for item in library}) == 1000
    with_isbn = sum(1 for item in library if item.get("isbn"))
    assert 250 <= with_isbn <= 350  # about 30 %
    decisions = BookIndex(
        [TrackerBook(b["id"], b["title"], b["author"], b["isbn"]) for b in books]
    ).match_all(parse_library(library).items)
    linked = sum(1 for d in decisions if d.decision == "linked")
    assert linked >= 650  # ISBN and fuzzy matches together, of the ~80 % present


def test_one_percent_progress_change_touches_one_percent_of_items():
    library, _ = generate(1000, 100, seed=3)
    changed = change_progress(library, 0.01, seed=3)
    differing = [a for a, b in zip(library, changed, strict=True) if a != b]
    assert len(differing) == 10
    assert all(set(a) == set(b) for a, b in zip(library, changed, strict=True))


def test_statement_counter_counts_executions_copies_and_driver_queries_and_pings_apart(engine):
    counter = StatementCounter().attach(engine)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TEMP TABLE t (x int) ON COMMIT DROP"))
            conn.execute(sa.text("INSERT INTO t VALUES (:x)"), [{"x": 1}, {"x": 2}])  # one executemany
            cursor = conn.connection.dbapi_connection.cursor()
            with cursor.copy("COPY t (x) FROM STDIN") as copy:
                copy.write_row((3,))
            cursor.execute("UPDATE t SET x = x + 1")  # on the driver's cursor, past SQLAlchemy
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 3
    finally:
        counter.detach()
    assert counter.copies == 1
    # The pool's pre-ping when the connection was checked out is a round trip, not a statement.
    assert counter.pings == 1
    assert counter.by_kind == {"PING": 1, "CREATE": 1, "INSERT": 1, "COPY": 1, "UPDATE": 1, "SELECT": 1}
    assert counter.total == 5
    with engine.connect() as conn:  # detached: nothing more is counted
        conn.execute(sa.text("SELECT 1"))
    assert counter.total == 5


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_every_other_mix_is_deterministic_and_has_its_promised_shape(mix):
    library, books = generate(800, 4000, seed=3, mix=mix)
    assert (library, books) == generate(800, 4000, seed=3, mix=mix)
    assert len(library) == 800 and len(books) == 4000
    assert len({item["asin"] for item in library}) == 800
    shape = MIXES[mix]
    with_isbn = sum(1 for item in library if item.get("isbn")) / len(library)
    assert abs(with_isbn - shape.item_isbn_share) < 0.05
    words = [len(book["title"].split(":")[0].split()) for book in books]
    assert shape.title_words[0] <= sorted(words)[len(words) // 2] <= shape.title_words[1] + 4
    in_series = sum(1 for item in library if item.get("series_title")) / len(library)
    assert (in_series > 0.3) == (mix == "series_heavy")
    several = sum(
        1 for book in books if book["author"] and ("&" in book["author"] or book["author"].count(",") > 1)
    )
    assert (several > 0) == (shape.author_forms[AUTHOR_FORMS.index("several")] > 0)


def test_mixes_differ_from_the_baseline_and_an_unknown_mix_is_refused():
    baseline = generate(200, 1000, seed=3)
    assert all(generate(200, 1000, seed=3, mix=mix) != baseline for mix in MIXES)
    with pytest.raises(ValueError, match="unknown mix"):
        generate(10, 10, mix="nope")


@pytest.mark.parametrize("mix", ["baseline", *sorted(MIXES)])
def test_labels_name_the_book_each_item_was_drawn_from_without_changing_the_draw(mix):
    library, tracker, labels = generate_labelled(400, 2000, seed=5, mix=mix)
    assert (library, tracker) == generate(400, 2000, seed=5, mix=mix)
    assert set(labels) == {item["asin"] for item in library}
    assert all(TRUE_BOOK not in item for item in library)
    books = {book["id"]: book for book in tracker}
    present = [(item, books[labels[item["asin"]]]) for item in library if labels[item["asin"]] is not None]
    absent = [item for item in library if labels[item["asin"]] is None]
    assert present and absent
    # An item carrying an ISBN that a tracker book stores is that book (ISBNs are drawn per book).
    with_isbn = [(item, book) for item, book in present if item.get("isbn") and book.get("isbn")]
    normal = {normalize_isbn(book["isbn"]): book["id"] for book in tracker if book.get("isbn")}
    for item, book in with_isbn:
        if normalize_isbn(item["isbn"]) == normalize_isbn(book["isbn"]):
            assert normal[normalize_isbn(item["isbn"])] == book["id"]
    assert not any(normalize_isbn(item.get("isbn")) in normal for item in absent)
