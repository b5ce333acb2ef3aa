-- Sync settings: audible_config.timezone must name a zone in the IANA database.
-- audible_can_sync() computes the local midnight with it on every schedule tick, so
-- a bad value would break every tick; abbreviations (CEST) and POSIX strings (UTC+3,
-- whose sign is inverted) would shift the daily reset silently. The CLI and the
-- settings job validate first; this guards every other writer (SQL by hand, tools).
-- Rows stored before this migration are left as they are.
CREATE OR REPLACE FUNCTION audible_config_check_timezone()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.timezone = 'UTC'
       OR (TG_OP = 'UPDATE' AND NEW.timezone IS NOT DISTINCT FROM OLD.timezone) THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.timezone) THEN
        RAISE EXCEPTION 'timezone must be an IANA time zone name such as UTC, Europe/Berlin or America/New_York; got %', quote_literal(NEW.timezone)
            USING ERRCODE = 'check_violation', COLUMN = 'timezone', TABLE = 'audible_config';
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS audible_config_timezone_valid ON audible_config;
CREATE TRIGGER audible_config_timezone_valid
    BEFORE INSERT OR UPDATE OF timezone ON audible_config
    FOR EACH ROW EXECUTE FUNCTION audible_config_check_timezone();
