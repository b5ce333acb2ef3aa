-- Views are recreated on every schema change: CREATE OR REPLACE keeps the
-- migration idempotent, and nothing stores data in them.
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
    c.enabled
FROM audible_config c;

CREATE OR REPLACE VIEW audible_currently_reading AS
SELECT
    m.account,
    m.asin,
    b.id AS book_id,
    b.title,
    b.author,
    b.progress_percent,
    b.started_at,
    m.last_synced_at,
    li.runtime_length_min
FROM audible_book_mappings m
JOIN books b ON b.id = m.book_id
LEFT JOIN audible_library_items li ON li.account = m.account AND li.asin = m.asin
WHERE m.sync_enabled AND b.status = 'reading';

-- One row per account and day for the last 30 days, days without syncs
-- included, so a chart of it has no gaps.
CREATE OR REPLACE VIEW audible_sync_activity AS
SELECT
    c.account,
    d.day::date AS day,
    count(l.id) AS syncs,
    count(l.id) FILTER (WHERE l.status = 'success') AS successful,
    count(l.id) FILTER (WHERE l.status IN ('failed', 'abandoned')) AS failed,
    count(l.id) FILTER (WHERE l.status = 'skipped') AS skipped,
    coalesce(sum(l.items_fetched), 0)::bigint AS items_fetched,
    coalesce(sum(l.progress_updates), 0)::bigint AS progress_updates
FROM audible_config c
CROSS JOIN generate_series(CURRENT_DATE - 29, CURRENT_DATE, interval '1 day') AS d(day)
LEFT JOIN audible_sync_logs l
       ON l.account = c.account
      AND l.started_at >= d.day
      AND l.started_at < d.day + interval '1 day'
GROUP BY c.account, d.day;

-- Audible titles the last sync saw that no tracker book is mapped to.
CREATE OR REPLACE VIEW audible_unmapped_books AS
SELECT
    li.account,
    li.asin,
    li.title,
    li.authors,
    li.percent_complete,
    li.is_finished,
    (SELECT x.id FROM audible_conflicts x
      WHERE x.account = li.account AND x.asin = li.asin AND NOT x.resolved) AS open_conflict_id,
    EXISTS (SELECT 1 FROM audible_conflicts x
             WHERE x.account = li.account AND x.asin = li.asin
               AND x.resolved AND x.resolution = 'ignored') AS ignored
FROM audible_library_items li
WHERE NOT EXISTS (SELECT 1 FROM audible_book_mappings m
                   WHERE m.account = li.account AND m.asin = li.asin);
