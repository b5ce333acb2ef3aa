-- Adding what the tracker lacks: an account setting to add, on each sync, the
-- unmatched titles the reader has started (NULL: off, the default), the count
-- of books a sync added that way, and those counts per account.
ALTER TABLE audible_config ADD COLUMN IF NOT EXISTS auto_add_min_progress integer;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audible_config_auto_add_min_progress_check') THEN
        ALTER TABLE audible_config ADD CONSTRAINT audible_config_auto_add_min_progress_check
            CHECK (auto_add_min_progress BETWEEN 1 AND 100);
    END IF;
END $$;

ALTER TABLE audible_sync_logs ADD COLUMN IF NOT EXISTS books_auto_added integer NOT NULL DEFAULT 0;

-- Per account: the setting and how many books syncs added with it (over the sync logs kept).
-- A view of its own: re-running 003 must keep working, so audible_sync_stats keeps its columns.
CREATE OR REPLACE VIEW audible_auto_add_stats AS
SELECT
    c.account,
    c.auto_add_min_progress,
    (SELECT coalesce(sum(l.books_auto_added), 0) FROM audible_sync_logs l
      WHERE l.account = c.account AND l.status = 'success')::bigint AS books_auto_added,
    (SELECT max(l.finished_at) FROM audible_sync_logs l
      WHERE l.account = c.account AND l.status = 'success' AND l.books_auto_added > 0) AS last_auto_added_at
FROM audible_config c;
