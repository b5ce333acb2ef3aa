-- Adding what the tracker lacks: an account setting to add, on each sync, the
-- unmatched titles the reader has started (NULL: off, the default), the count
-- of books a sync added that way, and that count in the stats view.
ALTER TABLE audible_config ADD COLUMN IF NOT EXISTS auto_add_min_progress integer;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audible_config_auto_add_min_progress_check') THEN
        ALTER TABLE audible_config ADD CONSTRAINT audible_config_auto_add_min_progress_check
            CHECK (auto_add_min_progress BETWEEN 1 AND 100);
    END IF;
END $$;

ALTER TABLE audible_sync_logs ADD COLUMN IF NOT EXISTS books_auto_added integer NOT NULL DEFAULT 0;

-- As in 003, with the books added by syncs as a last column.
CREATE OR REPLACE VIEW audible_sync_stats AS
SELECT
    c.account,
    (SELECT count(*) FROM audible_book_mappings m WHERE m.account = c.account) AS total_mappings,
    (SELECT count(DISTINCT m.asin) FROM audible_book_mappings m WHERE m.account = c.account) AS mapped,
    (SELECT count(*) FROM audible_library_items li
      WHERE li.account = c.account
        AND NOT EXISTS (SELECT 1 FROM audible_book_mappings m
                         WHERE m.account = li.account AND m.asin = li.asin)) AS unmapped,
    (SELECT count(DISTINCT m.book_id) FROM audible_book_mappings m JOIN books b ON b.id = m.book_id
      WHERE m.account = c.account AND m.sync_enabled AND b.status = 'reading') AS currently_reading,
    (SELECT count(DISTINCT m.book_id) FROM audible_book_mappings m JOIN books b ON b.id = m.book_id
      WHERE m.account = c.account AND m.sync_enabled AND b.status = 'finished') AS finished,
    (SELECT count(*) FROM audible_conflicts x WHERE x.account = c.account AND NOT x.resolved) AS open_conflicts,
    (SELECT count(*) FROM audible_library_items li WHERE li.account = c.account) AS library_items,
    (SELECT count(*) FROM audible_sync_logs l WHERE l.account = c.account AND l.status = 'success') AS successful_syncs,
    (SELECT count(*) FROM audible_sync_logs l WHERE l.account = c.account AND l.status = 'failed') AS failed_syncs,
    (SELECT l.status FROM audible_sync_logs l WHERE l.account = c.account
      ORDER BY l.started_at DESC, l.id DESC LIMIT 1) AS last_sync_status,
    c.last_sync_at,
    c.enabled,
    (SELECT coalesce(sum(l.books_auto_added), 0) FROM audible_sync_logs l
      WHERE l.account = c.account AND l.status = 'success')::bigint AS books_auto_added
FROM audible_config c;
