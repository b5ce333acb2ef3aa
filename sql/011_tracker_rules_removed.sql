-- Installs from before audible_tracker_meta existed: an earlier 001 added two NOT VALID
-- CHECK constraints (status words, progress 0–100) to whatever books table it found,
-- the reader's own included, where they forbid the reader's app its own words. Here
-- the ownership is recorded once, then the two constraints are removed again from a
-- books table the project did not create, and only where they are exactly the ones
-- 001 added: same name, same definition, still NOT VALID. A table the project
-- created keeps them.
CREATE TABLE IF NOT EXISTS audible_tracker_meta (
    singleton                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    books_created_by_project boolean NOT NULL,
    recorded_at              timestamptz NOT NULL DEFAULT now()
);

-- 001 created books in the very transaction that created schema_migrations, so the
-- project's own table has a later OID than schema_migrations and an identity id; a
-- reader's table was there before. When in doubt the table is the reader's: removing
-- the project's checks from its own table costs nothing, keeping them on the
-- reader's table blocks their app.
INSERT INTO audible_tracker_meta (books_created_by_project)
SELECT coalesce(
           to_regclass('books')::oid > to_regclass('schema_migrations')::oid
           AND (SELECT a.attidentity = 'd' AND a.atttypid = 'bigint'::regtype
                  FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('books') AND a.attname = 'id' AND NOT a.attisdropped),
           false)
WHERE NOT EXISTS (SELECT 1 FROM audible_tracker_meta);

DO $$
DECLARE
    ours record;
BEGIN
    IF to_regclass('books') IS NULL
       OR (SELECT books_created_by_project FROM audible_tracker_meta) THEN
        RETURN;
    END IF;
    -- What 001 would have added to this very table: the definition text depends on
    -- the column types (text or varchar, numeric or integer), so it is rebuilt on a
    -- scratch copy of the columns rather than written out here.
    -- On columns of types the check cannot apply to (progress as text), 001 could not have
    -- added it either: nothing of ours to look for there.
    CREATE TEMP TABLE audible_expected_books_rules (LIKE books);
    BEGIN
        ALTER TABLE audible_expected_books_rules ADD CONSTRAINT books_status_check
            CHECK (status IN ('to_read', 'reading', 'finished', 'dnf')) NOT VALID;
    EXCEPTION WHEN undefined_function OR datatype_mismatch OR invalid_text_representation THEN
        NULL;
    END;
    BEGIN
        ALTER TABLE audible_expected_books_rules ADD CONSTRAINT books_progress_percent_check
            CHECK (progress_percent BETWEEN 0 AND 100) NOT VALID;
    EXCEPTION WHEN undefined_function OR datatype_mismatch OR invalid_text_representation THEN
        NULL;
    END;
    FOR ours IN
        SELECT actual.conname
          FROM pg_constraint actual
          JOIN pg_constraint expected
            ON expected.conrelid = 'audible_expected_books_rules'::regclass
           AND expected.conname = actual.conname
           AND pg_get_constraintdef(expected.oid) = pg_get_constraintdef(actual.oid)
         WHERE actual.conrelid = to_regclass('books')
           AND actual.contype = 'c'
           AND NOT actual.convalidated
    LOOP
        EXECUTE format('ALTER TABLE books DROP CONSTRAINT %I', ours.conname);
    END LOOP;
    DROP TABLE audible_expected_books_rules;
END $$;
