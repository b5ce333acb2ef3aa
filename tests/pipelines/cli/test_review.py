"""`audible-tracker review` driven through piped answers, on real PostgreSQL after a demo sync."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.cli import main
from tests.support.environment import subprocess_env
from tests.support.sync import row_versions, run_sync

HOBBIT = "B007978NPG"  # conflict: two tracker books "The Hobbit" (4 and 5), 12.5 % listened
FOURTH_WING = "B0BW3DS9CH"  # conflict: the tracker's "Fourth Wing" (31) is another author's
NORWEGIAN_WOOD = "B07QWLCS4F"  # unmatched: no tracker book
TABLES = ("books", "audible_book_mappings", "audible_conflicts", "audible_progress_history")


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def _state(engine):
    return {t: row_versions(engine, t) for t in TABLES}


@pytest.fixture
def synced(database_url, engine, monkeypatch):
    assert run_sync(database_url).success
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    order = [
        r["asin"] for r in _rows(engine, "SELECT asin FROM audible_conflicts WHERE NOT resolved ORDER BY id")
    ]
    assert order == [HOBBIT, FOURTH_WING]  # the order the review walks them
    return engine


def _review(monkeypatch, capsys, answers: str, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    capsys.readouterr()
    code = main(["review", *args])
    return code, capsys.readouterr().out


def test_every_key_through_piped_answers(synced, monkeypatch, capsys):
    engine = synced
    book5_before = _rows(engine, "SELECT progress_percent, status, started_at FROM books WHERE id = 5")[0]
    answers = [
        "?",  # help
        "x",  # not an answer
        "2",  # The Hobbit -> book 5 ...
        "u",  # ... taken back
        "/tolkien hobbit",  # search the tracker
        "1",  # the first book found: 4
        "s",  # Fourth Wing: skip
        "u",  # back to it
        "c",  # create it from the Audible title
        "i",  # Norwegian Wood (unmatched): ignore
    ]
    code, out = _review(monkeypatch, capsys, "\n".join(answers) + "\n", "--unmatched")
    assert code == 0

    # One screen per title, with what a person needs to decide.
    assert "[1/3] conflict" in out and "The Hobbit" in out and "J.R.R. Tolkien" in out
    assert "progress  12.5 %" in out and "engine    ambiguous:" in out
    assert "1 #4 The Hobbit — J. R. R. Tolkien  1.00  title and author match" in out
    assert "[3/3] unmatched title" in out and "Norwegian Wood" in out
    assert "1-9 link · c create" in out and "'x' is not an answer" in out
    assert "2 book(s) found for 'tolkien hobbit'" in out
    assert "undone: B007978NPG unlinked from book 5; conflict" in out and "book 5's progress restored" in out

    # The undo really reverted: book 5 as it was, no mapping to it, no history for it.
    assert (
        _rows(engine, "SELECT progress_percent, status, started_at FROM books WHERE id = 5")[0]
        == book5_before
    )
    assert _rows(engine, "SELECT count(*) AS n FROM audible_progress_history WHERE book_id = 5")[0]["n"] == 0
    [hobbit] = _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HOBBIT)
    assert (hobbit["book_id"], hobbit["match_method"], hobbit["confirmed"]) == (4, "manual", True)
    assert (
        float(_rows(engine, "SELECT progress_percent FROM books WHERE id = 4")[0]["progress_percent"]) == 12.5
    )
    conflict = _rows(engine, "SELECT * FROM audible_conflicts WHERE asin = :a", a=HOBBIT)[0]
    assert conflict["resolution"] == "linked" and conflict["resolved_by"].startswith("cli:")

    [wing] = _rows(engine, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=FOURTH_WING)
    book = _rows(engine, "SELECT * FROM books WHERE id = :i", i=wing["book_id"])[0]
    assert (book["title"], book["author"], book["status"]) == ("Fourth Wing", "Rebecca Yarros", "to_read")
    assert wing["match_method"] == "created" and wing["confirmed"] and wing["book_id"] != 31
    assert f"created book #{wing['book_id']}: Fourth Wing — Rebecca Yarros (to_read), linked" in out

    [ignored] = _rows(engine, "SELECT * FROM audible_conflicts WHERE asin = :a", a=NORWEGIAN_WOOD)
    assert ignored["resolution"] == "ignored" and ignored["resolved_by"].startswith("cli:")
    assert "Reviewed: 1 linked, 1 created, 1 ignored, 0 skipped, 0 left" in out


def test_quit_stops_at_once_and_counts_what_is_left(synced, monkeypatch, capsys):
    before = _state(synced)
    code, out = _review(monkeypatch, capsys, "s\nq\n")
    assert code == 0
    assert "Reviewed: 0 linked, 0 created, 0 ignored, 1 skipped, 1 left" in out
    assert _state(synced) == before


def test_the_end_of_input_ends_the_review_like_quit(synced, monkeypatch, capsys):
    code, out = _review(monkeypatch, capsys, "i\n")
    assert code == 0 and "Reviewed: 0 linked, 0 created, 1 ignored, 0 skipped, 1 left" in out


def test_a_book_id_that_does_not_exist_changes_nothing_and_asks_again(synced, monkeypatch, capsys):
    before = _state(synced)
    code, out = _review(monkeypatch, capsys, "#999999\nq\n")
    assert "not done: book 999999 does not exist in the books table" in out
    assert _state(synced) == before
    code, out = _review(monkeypatch, capsys, "#5\nq\n")
    assert [
        m["book_id"] for m in _rows(synced, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HOBBIT)
    ] == [5]


def _content(engine):
    return {
        "books": _rows(
            engine,
            "SELECT id, title, author, status, progress_percent, started_at, finished_at FROM books ORDER BY id",
        ),
        "mappings": _rows(
            engine, "SELECT id, asin, book_id, confirmed, match_method FROM audible_book_mappings ORDER BY id"
        ),
        "conflicts": _rows(
            engine,
            "SELECT id, asin, resolved, resolution, resolved_book_id FROM audible_conflicts ORDER BY id",
        ),
        "history": _rows(engine, "SELECT id FROM audible_progress_history ORDER BY id"),
    }


def test_undoing_every_kind_of_decision_restores_every_table(synced, monkeypatch, capsys):
    before = _content(synced)
    answers = [
        "1", "u",  # link The Hobbit, undo
        "s",
        "c", "u",  # create Fourth Wing's book, undo
        "i", "u",  # ignore the Fourth Wing conflict, undo
        "s",
        "i",  # ignore Norwegian Wood (no conflict): the list ends ...
        "u",  # ... and the last decision can still be taken back
        "s",
        "q",
    ]  # fmt: skip
    code, out = _review(monkeypatch, capsys, "\n".join(answers) + "\n", "--unmatched")
    assert code == 0
    assert out.count("undone:") == 4 and "nothing to undo" not in out
    assert _content(synced) == before
    assert "Reviewed: 0 linked, 0 created, 0 ignored, 3 skipped, 0 left" in out


def test_undo_of_a_create_keeps_the_book_another_table_refers_to(synced, monkeypatch, capsys):
    with synced.begin() as conn:
        conn.execute(sa.text("CREATE TABLE reading_notes (book_id bigint REFERENCES books (id), note text)"))
        # Another app's trigger files a note for every new book: the book is referred to at once.
        conn.execute(
            sa.text(
                "CREATE FUNCTION note_new_book() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "INSERT INTO reading_notes VALUES (NEW.id, 'new'); RETURN NEW; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER note_new_book AFTER INSERT ON books FOR EACH ROW EXECUTE FUNCTION note_new_book()"
            )
        )
    code, out = _review(monkeypatch, capsys, "s\nc\nu\nq\n")
    assert "kept: reading_notes refer to it" in out
    assert (
        _rows(synced, "SELECT count(*) AS n FROM audible_book_mappings WHERE asin = :a", a=FOURTH_WING)[0][
            "n"
        ]
        == 0
    )
    assert (
        _rows(
            synced,
            "SELECT count(*) AS n FROM books WHERE title = 'Fourth Wing' AND author = 'Rebecca Yarros'",
        )[0]["n"]
        == 1
    )


def test_list_prints_the_open_conflicts_without_asking(synced, monkeypatch, capsys):
    code, out = _review(monkeypatch, capsys, "", "--list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [c["asin"] for c in listed] == [HOBBIT, FOURTH_WING]
    assert listed[0]["suggestion"] == {"decision": "link", "book_id": 4}
    assert listed[1]["suggestion"] == {"decision": "ignore", "book_id": None}
    assert listed[1]["candidates"][0]["book_id"] == 31 and listed[1]["reason"].startswith("different author")
    code, out = _review(monkeypatch, capsys, "", "--list")
    assert "2 open conflict(s)" in out and "closest: #31 Fourth Wing" in out


def test_an_unknown_account_is_one_line(synced, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["review", "--account", "nobody"]) == 1
    assert capsys.readouterr().err.strip() == "error: no Audible account named 'nobody' (accounts: demo)"


def test_the_installed_command_reads_answers_from_a_pipe(synced, database_url):
    env = subprocess_env(AUDIBLE_TRACKER_DATABASE_URL=database_url)
    command = Path(sys.executable).with_name("audible-tracker")
    completed = subprocess.run(
        [str(command), "review"], input="1\ni\n", env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Reviewed: 1 linked, 0 created, 1 ignored, 0 skipped, 0 left" in completed.stdout
    assert "\x1b[" not in completed.stdout  # no colour codes when writing to a pipe


def _read_until(fd: int, marker: str, seen: bytearray, timeout: float = 60.0) -> str:
    """Read the terminal's output until ``marker`` appears (or fail after ``timeout`` seconds)."""
    import select
    import time

    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} on the terminal; got:\n{seen.decode(errors='replace')[-2000:]}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            seen.extend(chunk)
    return seen.decode(errors="replace")


def test_on_a_terminal_one_key_decides_without_enter(synced, database_url):
    import pty

    leader, follower = pty.openpty()
    env = subprocess_env(AUDIBLE_TRACKER_DATABASE_URL=database_url, TERM="dumb")
    command = Path(sys.executable).with_name("audible-tracker")
    process = subprocess.Popen(
        [str(command), "review"], stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True
    )
    os.close(follower)
    seen = bytearray()
    try:
        _read_until(leader, "[1-2 c i s /search #id u q] > ", seen)
        os.write(leader, b"/hobbitx\x7f tolkien\r")  # a search is typed out: Backspace, then Enter
        _read_until(leader, "2 book(s) found for 'hobbit tolkien'", seen)
        os.write(leader, b"2")  # no Enter: the key alone links the second book found
        _read_until(leader, "linked to book #5", seen)
        _read_until(leader, "[1 c i s /search #id u q] > ", seen)
        os.write(leader, b"i")
        _read_until(leader, "End of the list. [u undo, q quit] > ", seen)
        os.write(leader, b"q")
        output = _read_until(leader, "skipped, 0 left", seen)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert "Reviewed: 1 linked, 0 created, 1 ignored, 0 skipped, 0 left" in output
    assert [
        m["book_id"] for m in _rows(synced, "SELECT * FROM audible_book_mappings WHERE asin = :a", a=HOBBIT)
    ] == [5]


def test_a_database_refusal_is_one_line_and_the_review_goes_on(synced, monkeypatch, capsys):
    with synced.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_new_books() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'the tracker app is importing, try again later'; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER refuse_new_books BEFORE INSERT ON books "
                "FOR EACH ROW EXECUTE FUNCTION refuse_new_books()"
            )
        )
    code, out = _review(monkeypatch, capsys, "s\nc\ni\nq\n")
    assert code == 0
    [refusal] = [line for line in out.splitlines() if "not done:" in line]
    assert "the tracker app is importing, try again later" in refusal and "Traceback" not in out
    assert "Reviewed: 0 linked, 0 created, 1 ignored, 1 skipped, 0 left" in out
    assert _rows(synced, "SELECT resolution FROM audible_conflicts WHERE asin = :a", a=FOURTH_WING) == [
        {"resolution": "ignored"}
    ]
