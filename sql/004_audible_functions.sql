-- The rate limit lives here so that every trigger (schedule, UI, CLI) asks
-- the same question of the same data.
CREATE OR REPLACE FUNCTION audible_can_sync(p_account text)
RETURNS TABLE (can_sync boolean, reason text, next_allowed_sync timestamptz, syncs_remaining_today integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cfg audible_config%ROWTYPE;
    local_today date;
    used integer;
    next_midnight timestamptz;
    interval_ready timestamptz;
BEGIN
    SELECT * INTO cfg FROM audible_config WHERE account = p_account;
    IF NOT FOUND THEN
        RETURN QUERY SELECT false,
            format('no Audible account named %L is configured; run `audible-tracker auth login`', p_account),
            NULL::timestamptz, 0;
        RETURN;
    END IF;
    local_today := (now() AT TIME ZONE cfg.timezone)::date;
    -- The stored counter belongs to daily_reset_date; on a later local day it counts as zero
    -- even before reset_audible_daily_sync_counter() has run.
    used := CASE WHEN cfg.daily_reset_date < local_today THEN 0 ELSE cfg.syncs_today END;
    next_midnight := (local_today + 1)::timestamp AT TIME ZONE cfg.timezone;
    interval_ready := cfg.last_sync_at + make_interval(mins => cfg.min_interval_minutes);

    IF NOT cfg.enabled THEN
        RETURN QUERY SELECT false,
            'sync is disabled for this account (audible-tracker config set enabled true)'::text,
            NULL::timestamptz, greatest(cfg.daily_limit - used, 0);
    ELSIF used >= cfg.daily_limit THEN
        RETURN QUERY SELECT false,
            format('daily limit of %s syncs reached; the counter resets at midnight %s',
                   cfg.daily_limit, cfg.timezone),
            greatest(next_midnight, coalesce(interval_ready, next_midnight)), 0;
    ELSIF interval_ready IS NOT NULL AND interval_ready > now() THEN
        RETURN QUERY SELECT false,
            format('minimum interval of %s minutes has not passed since the last sync; next allowed sync at %s %s',
                   cfg.min_interval_minutes,
                   to_char(interval_ready AT TIME ZONE cfg.timezone, 'YYYY-MM-DD HH24:MI'), cfg.timezone),
            interval_ready, cfg.daily_limit - used;
    ELSE
        RETURN QUERY SELECT true, 'ready to sync'::text, now(), cfg.daily_limit - used;
    END IF;
END;
$$;

-- Counts one sync against the limits. Called inside the sync's own
-- transaction, so a sync that rolls back is not counted.
CREATE OR REPLACE FUNCTION record_audible_sync(p_account text)
RETURNS void
LANGUAGE sql AS $$
    UPDATE audible_config
       SET syncs_today = CASE WHEN daily_reset_date < (now() AT TIME ZONE timezone)::date
                              THEN 1 ELSE syncs_today + 1 END,
           daily_reset_date = (now() AT TIME ZONE timezone)::date,
           last_sync_at = now(),
           updated_at = now()
     WHERE account = p_account;
$$;

CREATE OR REPLACE FUNCTION reset_audible_daily_sync_counter()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    UPDATE audible_config
       SET syncs_today = 0,
           daily_reset_date = (now() AT TIME ZONE timezone)::date,
           updated_at = now()
     WHERE daily_reset_date < (now() AT TIME ZONE timezone)::date;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

-- keep_days NULL: each account's own log_retention_days (90 for logs of
-- accounts that no longer exist). Running rows are never deleted; progress
-- history keeps its rows (its sync_log_id is set to NULL by the foreign key).
CREATE OR REPLACE FUNCTION cleanup_old_audible_sync_logs(keep_days integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM audible_sync_logs l
     WHERE l.status <> 'running'
       AND l.started_at < now() - make_interval(days => coalesce(
               keep_days,
               (SELECT c.log_retention_days FROM audible_config c WHERE c.account = l.account),
               90));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
