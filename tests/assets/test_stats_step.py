"""The stats step after a sync: views that did not change are not published again."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from tests.support.sync import allow_next_sync, run_sync

ON_CHANGE = ("audible_currently_reading", "audible_unmapped_books")


def _published(result) -> dict[str, dict]:
    return {
        e.asset_key.to_user_string(): {
            k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def _resync(database_url, engine, instance):
    allow_next_sync(engine, "demo")
    result = run_sync(database_url, account="demo", instance=instance)
    assert result.success
    return _published(result)


def test_unchanged_views_are_not_published_again_until_their_rows_change(database_url, engine):
    instance = dg.DagsterInstance.ephemeral()
    first = run_sync(database_url, instance=instance)
    assert first.success
    published = _published(first)
    reading = published["audible_currently_reading"]["books"]
    assert reading > 0 and published["audible_unmapped_books"]["unmapped"] > 0
    assert all(published[key]["rows_digest"].startswith("demo:") for key in ON_CHANGE)

    # Nothing changed: the sync's own stats and activity are current again, the two views are kept.
    unchanged = _resync(database_url, engine, instance)
    assert not unchanged.keys() & set(ON_CHANGE)
    assert {"audible_sync_stats", "audible_sync_activity"} <= unchanged.keys()
    assert unchanged["audible_sync_stats"]["successful_syncs"] == 2

    # The tracker's own app finishes a book the sync had as reading: the sync writes nothing,
    # but the books in progress are different rows now.
    with engine.begin() as conn:
        book = conn.execute(
            sa.text(
                "SELECT book_id FROM audible_currently_reading WHERE account = 'demo' ORDER BY book_id LIMIT 1"
            )
        ).scalar_one()
        conn.execute(sa.text("UPDATE books SET status = 'finished' WHERE id = :b"), {"b": book})
    after_tracker = _resync(database_url, engine, instance)
    assert after_tracker["audible_currently_reading"]["books"] == reading - 1
    assert "audible_unmapped_books" not in after_tracker

    # A person answers an open conflict (ignore): the unmapped titles' rows change.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE audible_conflicts SET resolved = true, resolution = 'ignored', resolved_at = now() "
                "WHERE id = (SELECT min(id) FROM audible_conflicts WHERE account = 'demo' AND NOT resolved)"
            )
        )
    after_review = _resync(database_url, engine, instance)
    assert "audible_unmapped_books" in after_review
    assert "audible_currently_reading" not in after_review
    assert _resync(database_url, engine, instance).keys().isdisjoint(ON_CHANGE)
