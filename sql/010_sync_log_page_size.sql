-- Titles per page the sync's Audible library fetch used. A large library can
-- make Audible time out (408) or fail (5xx) at 1,000 titles per page; the
-- fetch then asks for smaller pages, and this column shows where it settled.
-- Null for syncs from an export file, the demo, or before this column existed.
ALTER TABLE audible_sync_logs ADD COLUMN IF NOT EXISTS page_size integer;
