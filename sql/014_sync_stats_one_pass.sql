-- audible_sync_stats with the same columns and values, read in fewer passes: the
-- mappings of the account are read once, joined once to the books, for the four
-- mapping counts (003 read them four times, and looked every mapped book up twice).
-- Every sync reads this view after writing; the tracker's rules are not touched.
CREATE OR REPLACE VIEW audible_sync_stats AS
SELECT
    c.account,
    mm.total_mappings,
    mm.mapped,
    (SELECT count(*) FROM audible_library_items i
      WHERE i.account = c.account
        AND NOT EXISTS (SELECT 1 FROM audible_book_mappings m
                         WHERE m.account = i.account AND m.asin = i.asin)) AS unmapped,
    mm.currently_reading,
    mm.finished,
    (SELECT count(*) FROM audible_conflicts x WHERE x.account = c.account AND NOT x.resolved) AS open_conflicts,
    (SELECT count(*) FROM audible_library_items i WHERE i.account = c.account) AS library_items,
    (SELECT count(*) FROM audible_sync_logs l WHERE l.account = c.account AND l.status = 'success') AS successful_syncs,
    (SELECT count(*) FROM audible_sync_logs l WHERE l.account = c.account AND l.status = 'failed') AS failed_syncs,
    (SELECT l.status FROM audible_sync_logs l WHERE l.account = c.account
      ORDER BY l.started_at DESC, l.id DESC LIMIT 1) AS last_sync_status,
    c.last_sync_at,
    c.enabled
FROM audible_config c
CROSS JOIN LATERAL (
    SELECT count(*) AS total_mappings,
           count(DISTINCT m.asin) AS mapped,
           count(DISTINCT m.book_id) FILTER (WHERE m.sync_enabled AND b.status = 'reading') AS currently_reading,
           count(DISTINCT m.book_id) FILTER (WHERE m.sync_enabled AND b.status = 'finished') AS finished
      FROM audible_book_mappings m
      LEFT JOIN books b ON b.id = m.book_id
     WHERE m.account = c.account
) mm;
