-- Liveness of running syncs. While a sync runs, its process holds a
-- session-level advisory lock keyed by its log id, on a connection of its own
-- that it opened in the transaction that inserted the 'running' row. The lock
-- goes away with the process (kill -9, crash, lost connection), so a 'running'
-- row whose lock anyone else can take has nobody behind it any more.

-- The lock of one sync log row: namespace 4242006, key = the id folded into an int.
CREATE OR REPLACE FUNCTION audible_sync_log_lock_key(p_log_id bigint)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_log_id % 2147483648)::integer;
$$;

-- Taken by the sync's own process; true when it holds the lock.
CREATE OR REPLACE FUNCTION hold_audible_sync_log(p_log_id bigint)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT pg_try_advisory_lock(4242006, audible_sync_log_lock_key(p_log_id));
$$;

CREATE OR REPLACE FUNCTION release_audible_sync_log(p_log_id bigint)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT pg_advisory_unlock(4242006, audible_sync_log_lock_key(p_log_id));
$$;

-- Marks 'running' rows with no live process behind them 'abandoned' (for one
-- account, or all when NULL); returns how many. Whatever such a sync wrote was
-- rolled back with its transaction, so only the log row needs closing.
CREATE OR REPLACE FUNCTION recover_stale_audible_sync_logs(p_account text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT id FROM audible_sync_logs
         WHERE status = 'running' AND (p_account IS NULL OR account = p_account)
         ORDER BY id
         FOR UPDATE SKIP LOCKED
    LOOP
        -- Transaction-scoped: released when this recovery commits.
        IF pg_try_advisory_xact_lock(4242006, audible_sync_log_lock_key(r.id)) THEN
            UPDATE audible_sync_logs
               SET status = 'abandoned',
                   finished_at = now(),
                   error = concat_ws('; ', error,
                       'abandoned: the process running this sync stopped before finishing it '
                       || '(killed, crashed or lost its database connection); none of its writes were kept')
             WHERE id = r.id;
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END;
$$;

CREATE INDEX IF NOT EXISTS audible_sync_logs_running_idx
    ON audible_sync_logs (account) WHERE status = 'running';
