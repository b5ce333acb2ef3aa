"""The sync on books tables other apps made: their rules and words survive, their progress is never lost.

Each test builds a tracker the way another app would, before this project touches the database,
then runs the real audible_sync job on the bundled demo library (as an export file) several times.
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg
import pytest

from pipelines.cli import main as cli_main
from resources.postgres import DATABASE_URL_ENV
from tests.support.sync import row_versions, sync_definitions
from tests.support.trackers import (
    GOODREADS,
    GOODREADS_WORDS,
    ID_WITHOUT_DEFAULT,
    INCOMPATIBLE,
    UUID_FRACTION,
    Library,
    create_tracker,
    execute,
    failure_description,
    rows,
    rules,
    tracker_books,
)

WAY_OF_KINGS, CIRCE, NAME_OF_THE_WIND = "B003ZWFO7E", "B07FSRTDNZ", "B07NLB9C2C"
MARTIAN, HAIL_MARY, FOURTH_WING = "B00NTSP1TY", "B08G9PRS1K", "B0BW3DS9CH"
DEFAULT_WORDS = {"to_read", "reading", "finished", "dnf"}
# The one column the migrations add to a tracker that lacks it: nullable, no default.
ADDED_UPDATED_AT = "column updated_at timestamp with time zone"


def _books(url) -> dict[str, dict]:
    return {
        b["title"]: b
        for b in rows(url, "SELECT id, title, status, progress_percent, started_at, finished_at FROM books")
    }


def _count(url, sql) -> int:
    return rows(url, sql)[0]["n"]


def _dates_in_order(url) -> bool:
    return not rows(url, "SELECT id FROM books WHERE started_at > finished_at")


def _run_job(url, job, op, config) -> dg.ExecuteInProcessResult:
    return (
        sync_definitions(url)
        .resolve_job_def(job)
        .execute_in_process(
            run_config={"ops": {op: {"config": config}}},
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    )


def _create_fourth_wing(url) -> dg.ExecuteInProcessResult:
    return _run_job(
        url,
        "link_audible_book",
        "link_book",
        {
            "asin": FOURTH_WING,
            "create_new": True,
            "book_data": {"title": "Fourth Wing", "author": "Rebecca Yarros"},
        },
    )


def test_goodreads_style_tracker_keeps_its_rules_and_words_through_several_syncs(
    empty_database_url, tmp_path, monkeypatch
):
    url = empty_database_url
    create_tracker(
        url,
        GOODREADS,
        tracker_books(
            GOODREADS_WORDS,
            **{
                "Circe": {
                    "status": "currently-reading",
                    "progress_percent": 10,
                    "started_at": date(2025, 1, 10),
                },
                "The Name of the Wind": {"status": "currently-reading", "progress_percent": 55},
                "Dune": {"finished_at": date(2024, 3, 1)},
                "The Martian": {"progress_percent": 30},
                "Educated": {"started_at": date(2023, 4, 1), "finished_at": date(2023, 5, 2)},
            },
        ),
    )
    rules_before = rules(url)
    untouched = _books(url)
    # Circe is linked while Audible says not started; The Name of the Wind is behind the tracker.
    library = Library(
        tmp_path, **{CIRCE: {"percent_complete": 0.0}, NAME_OF_THE_WIND: {"percent_complete": 20.0}}
    )

    refused = library.sync(url)
    message = failure_description(refused)
    assert "\n" not in message
    assert "'to-read' (" in message and "'currently-reading' (" in message and "'read' (" in message
    for role in ("to_read", "reading", "finished"):
        assert f"audible-tracker tracker set status.{role} {GOODREADS_WORDS[role]}" in message
    assert _books(url) == untouched
    assert _count(url, "SELECT count(*) AS n FROM audible_book_mappings") == 0
    assert _count(url, "SELECT count(*) AS n FROM audible_library_items") == 0

    monkeypatch.setenv(DATABASE_URL_ENV, url)
    for role, word in GOODREADS_WORDS.items():
        assert cli_main(["tracker", "set", f"status.{role}", word]) == 0
    assert cli_main(["tracker", "check"]) == 0

    assert library.sync(url).success
    books = _books(url)
    today = rows(url, "SELECT CURRENT_DATE AS d")[0]["d"]
    # A new link to a title not started changes nothing; a new link never lowers progress.
    assert books["Circe"] == untouched["Circe"]
    assert (books["The Name of the Wind"]["progress_percent"], books["The Name of the Wind"]["status"]) == (
        55,
        "currently-reading",
    )
    # First seen finished: the finish date stays, no start date is invented.
    assert (books["Dune"]["status"], books["Dune"]["finished_at"], books["Dune"]["started_at"]) == (
        "read",
        date(2024, 3, 1),
        None,
    )
    assert books["Educated"]["finished_at"] == date(2023, 5, 2)
    assert (
        books["Project Hail Mary"]["status"] == "read"
        and books["Project Hail Mary"]["progress_percent"] == 100
    )
    assert (
        books["Project Hail Mary"]["finished_at"] == today
        and books["Project Hail Mary"]["started_at"] is None
    )
    # Whole-number progress, the tracker's word, and a date.
    assert books["The Way of Kings"]["progress_percent"] == 42
    assert books["The Way of Kings"]["status"] == "currently-reading"
    assert books["The Way of Kings"]["started_at"] == today
    # An abandoned book stays abandoned while nothing shows listening after the verdict.
    assert (books["The Martian"]["status"], books["The Martian"]["progress_percent"]) == (
        "did-not-finish",
        30,
    )

    # The reader's app goes on writing its own words.
    execute(
        url, "INSERT INTO books (title, author, status) VALUES ('Middlemarch', 'George Eliot', 'to-read')"
    )
    execute(url, "UPDATE books SET status = 'did-not-finish' WHERE title = 'Circe'")

    library.change(**{NAME_OF_THE_WIND: {"percent_complete": 25.0}, MARTIAN: {"percent_complete": 15.0}})
    assert library.sync(url).success
    books = _books(url)
    assert books["The Name of the Wind"]["progress_percent"] == 55  # Audible moved forward, still behind
    assert (books["The Martian"]["status"], books["The Martian"]["progress_percent"]) == (
        "currently-reading",
        30,
    )
    assert books["Circe"]["status"] == "did-not-finish"

    library.change(**{NAME_OF_THE_WIND: {"percent_complete": 10.0}})
    assert library.sync(url).success
    assert _books(url)["The Name of the Wind"]["progress_percent"] == 10  # Audible's own value went down

    execute(
        url,
        "INSERT INTO books (title, status, progress_percent) VALUES ('Adam Bede', 'currently-reading', 3)",
    )
    execute(url, "UPDATE books SET status = 'read', progress_percent = 100 WHERE title = 'Middlemarch'")
    assert set(rules(url)) - set(rules_before) == {ADDED_UPDATED_AT}
    assert set(rules_before) <= set(rules(url))
    statuses = {b["status"] for b in _books(url).values()}
    assert statuses <= set(GOODREADS_WORDS.values())
    assert _dates_in_order(url)


def test_uuid_tracker_with_fraction_progress(empty_database_url, tmp_path):
    url = empty_database_url
    create_tracker(
        url,
        UUID_FRACTION,
        tracker_books(
            {w: w for w in DEFAULT_WORDS},
            **{
                "The Way of Kings": {"progress_percent": 0.25},
                "Circe": {"progress_percent": 0.1, "status": "reading"},
            },
        ),
    )
    rules_before = rules(url)
    library = Library(tmp_path)

    refused = library.sync(url)
    assert "tracker set progress_scale fraction" in failure_description(refused)
    configured = _run_job(
        url, "update_tracker_profile", "apply_tracker_profile", {"progress_scale": "fraction"}
    )
    assert configured.success
    assert configured.output_for_node("apply_tracker_profile")["progress_scale"] == "fraction"

    assert library.sync(url).success
    books = _books(url)
    assert books["The Way of Kings"]["progress_percent"] == pytest.approx(0.4237)
    assert books["The Way of Kings"]["status"] == "reading"
    assert isinstance(books["The Way of Kings"]["started_at"], datetime)
    assert (
        books["Project Hail Mary"]["progress_percent"] == 1.0
        and books["Project Hail Mary"]["status"] == "finished"
    )
    # Our tables follow the tracker's id type; the tracker's own column is left as it was.
    types = rows(
        url,
        "SELECT c.relname AS t, format_type(coalesce(nullif(ty.typbasetype, 0), a.atttypid), NULL) AS type "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type ty ON ty.oid = a.atttypid "
        "WHERE a.attname IN ('book_id', 'resolved_book_id') AND c.relname LIKE 'audible_%' AND c.relkind = 'r'",
    )
    assert {t["type"] for t in types} == {"uuid"} and len(types) == 3
    hobbit = rows(url, "SELECT candidates FROM audible_conflicts WHERE asin = 'B007978NPG'")[0]
    hobbit_ids = {str(b["id"]) for b in rows(url, "SELECT id FROM books WHERE title = 'The Hobbit'")}
    assert len(hobbit_ids) == 2 and {c["book_id"] for c in hobbit["candidates"]} >= hobbit_ids

    versions = rows(url, "SELECT id, xmin::text AS xmin FROM books ORDER BY id")
    assert library.sync(url).success
    assert rows(url, "SELECT id, xmin::text AS xmin FROM books ORDER BY id") == versions  # nothing written

    library.change(**{WAY_OF_KINGS: {"percent_complete": 100.0, "is_finished": True}})
    finished = library.sync(url)
    assert finished.success
    (event,) = [e for e in finished.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    kings = _books(url)["The Way of Kings"]
    assert event.event_specific_data.asset_observation.metadata["book_id"].value == str(kings["id"])
    assert (kings["status"], kings["progress_percent"]) == ("finished", 1.0)
    assert kings["started_at"] <= kings["finished_at"]

    created = _create_fourth_wing(url)
    assert created.success
    (new_book,) = rows(url, "SELECT id, status FROM books WHERE author = 'Rebecca Yarros'")
    assert new_book["status"] == "to_read"
    assert (
        rows(url, "SELECT book_id FROM audible_book_mappings WHERE asin = :a", a=FOURTH_WING)[0]["book_id"]
        == (new_book["id"])
    )
    execute(url, "INSERT INTO books (title, status, progress_percent) VALUES ('Own entry', 'reading', 0.5)")
    assert set(rules(url)) - set(rules_before) == {ADDED_UPDATED_AT}
    assert _dates_in_order(url)


def test_id_without_default_syncs_but_never_guesses_an_id(empty_database_url, tmp_path, monkeypatch, capsys):
    url = empty_database_url
    books = tracker_books({w: w for w in DEFAULT_WORDS})
    create_tracker(url, ID_WITHOUT_DEFAULT, [{"id": 100 + n, **book} for n, book in enumerate(books)])
    rules_before = rules(url)
    library = Library(tmp_path)

    assert library.sync(url).success
    assert float(_books(url)["The Way of Kings"]["progress_percent"]) == 42.37

    created = _create_fourth_wing(url)
    message = failure_description(created)
    assert "books.id (bigint) has no default" in message
    assert "ALTER TABLE books ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY" in message
    assert _count(url, "SELECT count(*) AS n FROM books WHERE author = 'Rebecca Yarros'") == 0
    assert _count(url, f"SELECT count(*) AS n FROM audible_book_mappings WHERE asin = '{FOURTH_WING}'") == 0

    monkeypatch.setenv(DATABASE_URL_ENV, url)
    assert cli_main(["tracker", "check"]) == 0  # the sync itself can run
    assert "cannot create books: books.id (bigint) has no default" in capsys.readouterr().out
    assert rules(url) == rules_before


def test_incompatible_tracker_is_refused_by_check_and_sync_with_one_line_each(
    empty_database_url, tmp_path, monkeypatch, capsys
):
    url = empty_database_url
    create_tracker(
        url,
        INCOMPATIBLE,
        [
            {
                "id": "b-1",
                "title": "The Way of Kings",
                "author": "Brandon Sanderson",
                "progress_percent": "10%",
            }
        ],
    )
    rules_before = rules(url)
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    assert cli_main(["tracker", "check"]) == 1
    out = capsys.readouterr().out
    assert "sync blocked: books.id is text; the sync supports integer, bigint or uuid there" in out
    assert (
        "sync blocked: books.progress_percent is text; the sync supports numeric, real, double precision"
        in out
    )
    assert "sync blocked: books.started_at is text; the sync supports date, timestamp or timestamptz" in out
    # check wrote nothing: no migration ran.
    assert rows(url, "SELECT to_regclass('schema_migrations') IS NULL AS absent")[0]["absent"]

    refused = Library(tmp_path).sync(url)
    message = failure_description(refused)
    assert (
        "\n" not in message
        and "books.progress_percent is text" in message
        and "Nothing was written" in message
    )
    assert _count(url, "SELECT count(*) AS n FROM audible_book_mappings") == 0
    assert rows(url, "SELECT progress_percent FROM books")[0]["progress_percent"] == "10%"
    assert set(rules(url)) - set(rules_before) == {ADDED_UPDATED_AT}


def test_the_project_own_tracker_keeps_its_rules_and_default_words(database_url, engine, tmp_path):
    rules_before = rules(database_url)
    assert any(r.startswith("constraint books_status_check: CHECK") for r in rules_before)
    library = Library(tmp_path)
    result = sync_definitions(database_url, library_source="demo").resolve_job_def("audible_sync")
    assert result.execute_in_process(
        run_config={"ops": {"audible_library": {"config": {}}}}, instance=dg.DagsterInstance.ephemeral()
    ).success
    for change in ({WAY_OF_KINGS: {"percent_complete": 60.0}}, {MARTIAN: {"percent_complete": 20.0}}):
        library.change(**change)
        assert library.sync(database_url, account="demo").success
    assert rules(database_url) == rules_before
    assert {b["status"] for b in _books(database_url).values()} <= DEFAULT_WORDS
    assert _books(database_url)["The Martian"]["status"] == "reading"  # 9 % → 20 %: listened after the dnf
    assert _dates_in_order(database_url)
    versions = row_versions(engine, "books")
    assert library.sync(database_url, account="demo").success
    assert row_versions(engine, "books") == versions
