"""Two Audible accounts (a household) syncing into one tracker, end to end on real PostgreSQL.

Accounts are chosen per run (ops.audible_library.config.account; the schedule sends one run
per account): each has its own audible_config row, rate limit, sync log, mappings and conflicts,
and one tracker book can be mapped from both.
"""

from __future__ import annotations

import json

import dagster as dg
import sqlalchemy as sa

from resources.library_source import demo_books, demo_library_payload
from resources.queries import books as books_sql
from resources.queries import sync_logs as sync_logs_sql
from tests.support.sync import allow_next_sync, run_sync

KINGS, HOBBIT, FOURTH_WING, DUNE = "B003ZWFO7E", "B007978NPG", "B0BW3DS9CH", "B0036S4B2G"


def _export(tmp_path, name, percents):
    """An export file with the demo titles named in ``percents`` at the given progress."""
    items = []
    for item in demo_library_payload():
        if item["asin"] in percents:
            item = {**item, "percent_complete": percents[item["asin"]], "is_finished": False}
            items.append(item)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(items))
    return str(path)


def _sync(database_url, account, library_file, **options):
    return run_sync(
        database_url, account=account, library_source="file", library_file=library_file, **options
    )


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def test_two_accounts_keep_their_own_limits_conflicts_and_history(database_url, engine, tmp_path):
    with engine.begin() as conn:
        books_sql.seed_books(conn, demo_books())
    alice = _export(tmp_path, "alice", {KINGS: 42.37, HOBBIT: 12.5, FOURTH_WING: 3.0})
    bob = _export(tmp_path, "bob", {KINGS: 60.0, HOBBIT: 80.0, DUNE: 10.0})

    assert _sync(database_url, "alice", alice).success
    # Alice's rate limit does not hold Bob back…
    assert _sync(database_url, "bob", bob).success
    # …and Bob's sync did not use up Alice's interval either: hers is still refused.
    refused = _sync(database_url, "alice", alice, raise_on_error=False)
    assert not refused.success

    config = {
        r["account"]: r
        for r in _rows(engine, "SELECT account, source, syncs_today, last_sync_at FROM audible_config")
    }
    assert set(config) == {"alice", "bob"}
    assert config["alice"]["syncs_today"] == 1 and config["bob"]["syncs_today"] == 1
    logs = _rows(engine, "SELECT account, status FROM audible_sync_logs ORDER BY id")
    assert [(log["account"], log["status"]) for log in logs] == [
        ("alice", "success"),
        ("bob", "success"),
        ("alice", "skipped"),
    ]
    with engine.connect() as conn:
        assert (
            not sync_logs_sql.can_sync(conn, "alice").can_sync
            and not sync_logs_sql.can_sync(conn, "bob").can_sync
        )

    # Conflicts are per account: the same ambiguous Hobbit is open once for each of them.
    conflicts = _rows(engine, "SELECT account, asin FROM audible_conflicts WHERE NOT resolved")
    assert sorted((c["account"], c["asin"]) for c in conflicts) == [
        ("alice", HOBBIT),
        ("alice", FOURTH_WING),
        ("bob", HOBBIT),
    ]

    # One tracker book (2, The Way of Kings) mapped from both accounts.
    mappings = _rows(
        engine, "SELECT account, book_id FROM audible_book_mappings WHERE asin = :a ORDER BY account", a=KINGS
    )
    assert [(m["account"], m["book_id"]) for m in mappings] == [("alice", 2), ("bob", 2)]
    history = _rows(
        engine,
        "SELECT account, percent_complete FROM audible_progress_history WHERE book_id = 2 ORDER BY id",
    )
    assert [(h["account"], float(h["percent_complete"])) for h in history] == [
        ("alice", 42.37),
        ("bob", 60.0),
    ]

    # Alice listens on; her next sync moves the shared book and touches none of Bob's rows.
    bob_rows = _rows(
        engine, "SELECT id, xmin::text AS v FROM audible_book_mappings WHERE account = 'bob' ORDER BY id"
    )
    allow_next_sync(engine, "alice")
    result = _sync(
        database_url, "alice", _export(tmp_path, "alice2", {KINGS: 70.0, HOBBIT: 12.5, FOURTH_WING: 3.0})
    )
    assert result.success
    book = _rows(engine, "SELECT status, progress_percent FROM books WHERE id = 2")[0]
    assert book["status"] == "reading" and float(book["progress_percent"]) == 70.0
    history = _rows(
        engine,
        "SELECT account, percent_complete FROM audible_progress_history WHERE book_id = 2 ORDER BY id",
    )
    assert [(h["account"], float(h["percent_complete"])) for h in history][-1] == ("alice", 70.0)
    assert len([h for h in history if h["account"] == "bob"]) == 1
    assert bob_rows == _rows(
        engine, "SELECT id, xmin::text AS v FROM audible_book_mappings WHERE account = 'bob' ORDER BY id"
    )

    # The stats and analytics of a run speak of its own account only.
    stats, activity = (
        next(
            e.materialization
            for e in result.get_asset_materialization_events()
            if e.asset_key == dg.AssetKey(key)
        )
        for key in ("audible_sync_stats", "audible_sync_activity_chart")
    )
    assert stats.metadata["open_conflicts"].value == 2
    assert activity.metadata["account"].value == "alice"
    assert activity.metadata["syncs_30_days"].value == 3  # two successful, one skipped: Bob's not counted
