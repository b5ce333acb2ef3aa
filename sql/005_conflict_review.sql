-- Conflict review: what a person is asked to decide, readable without JSON
-- operators, and a guard that a resolved conflict always says how.

CREATE OR REPLACE VIEW audible_open_conflicts AS
SELECT
    x.id,
    x.account,
    x.asin,
    x.audible_item ->> 'title'           AS title,
    x.audible_item ->> 'subtitle'        AS subtitle,
    x.audible_item ->> 'authors'         AS authors,
    x.audible_item ->> 'series_title'    AS series_title,
    x.audible_item ->> 'series_sequence' AS series_sequence,
    x.candidates,
    x.reason,
    x.created_at,
    x.updated_at
FROM audible_conflicts x
WHERE NOT x.resolved;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audible_conflicts_resolution_check') THEN
        -- NOT VALID: rows written before this migration are not re-checked.
        ALTER TABLE audible_conflicts ADD CONSTRAINT audible_conflicts_resolution_check
            CHECK (NOT resolved OR (resolution IS NOT NULL AND resolved_at IS NOT NULL)) NOT VALID;
    END IF;
END $$;
