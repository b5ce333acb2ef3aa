-- The tracker profile: the words this tracker uses for each reading state, and the
-- scale of its progress column. Tracker-wide (not per Audible account); NULL means
-- not configured, and the sync then uses the defaults (to_read, reading, finished,
-- dnf; percent), unless the tracker's books already use other words, in which case
-- it refuses until they are configured. Set with `audible-tracker tracker set` or
-- the update_tracker_profile job.
CREATE TABLE IF NOT EXISTS audible_tracker_profile (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    status_to_read  text CHECK (status_to_read <> ''),
    status_reading  text CHECK (status_reading <> ''),
    status_finished text CHECK (status_finished <> ''),
    status_dnf      text CHECK (status_dnf <> ''),
    progress_scale  text CHECK (progress_scale IN ('percent', 'fraction')),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text
);

-- Installs whose audible_* tables were created before the book id type was followed
-- have bigint book_id columns, which is what their (integer or bigint) ids need; the
-- domain is created for the sync's staging tables.
DO $$
BEGIN
    IF to_regtype('audible_tracker_book_id') IS NULL THEN
        CREATE DOMAIN audible_tracker_book_id AS bigint;
    END IF;
END $$;
