-- One row per Audible account. The auth blob is Fernet ciphertext of the
-- whole audible Authenticator state; the password is never stored.
CREATE TABLE IF NOT EXISTS audible_config (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account              text NOT NULL UNIQUE,
    marketplace          text NOT NULL DEFAULT 'us',
    auth_encrypted       text,
    source               text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'file', 'demo')),
    enabled              boolean NOT NULL DEFAULT true,
    min_interval_minutes integer NOT NULL DEFAULT 15 CHECK (min_interval_minutes >= 1),
    daily_limit          integer NOT NULL DEFAULT 600 CHECK (daily_limit BETWEEN 1 AND 10000),
    timezone             text NOT NULL DEFAULT 'UTC',
    log_retention_days   integer NOT NULL DEFAULT 90 CHECK (log_retention_days >= 1),
    last_sync_at         timestamptz,
    syncs_today          integer NOT NULL DEFAULT 0,
    daily_reset_date     date NOT NULL DEFAULT CURRENT_DATE,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The last library seen per account: lets views count unmapped titles and
-- lets a sync compare against what it saw before.
CREATE TABLE IF NOT EXISTS audible_library_items (
    account            text NOT NULL REFERENCES audible_config (account) ON UPDATE CASCADE ON DELETE CASCADE,
    asin               text NOT NULL,
    title              text NOT NULL,
    subtitle           text,
    authors            text,
    narrators          text,
    series_title       text,
    series_sequence    text,
    runtime_length_min integer,
    release_date       text,
    isbn               text,
    percent_complete   numeric(5, 2) NOT NULL DEFAULT 0,
    is_finished        boolean NOT NULL DEFAULT false,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, asin)
);

-- book_id columns have the type of books.id (audible_tracker_book_id, created by 001).
CREATE TABLE IF NOT EXISTS audible_book_mappings (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account               text NOT NULL REFERENCES audible_config (account) ON UPDATE CASCADE ON DELETE CASCADE,
    asin                  text NOT NULL,
    book_id               audible_tracker_book_id NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    match_method          text NOT NULL CHECK (match_method IN ('isbn', 'fuzzy', 'manual', 'created')),
    confidence            numeric(4, 3) NOT NULL DEFAULT 1 CHECK (confidence BETWEEN 0 AND 1),
    confirmed             boolean NOT NULL DEFAULT false,
    sync_enabled          boolean NOT NULL DEFAULT true,
    last_percent_complete numeric(5, 2),
    last_is_finished      boolean,
    last_synced_at        timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account, asin, book_id)
);
CREATE INDEX IF NOT EXISTS audible_book_mappings_book_idx ON audible_book_mappings (book_id);

CREATE TABLE IF NOT EXISTS audible_sync_logs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account            text NOT NULL,
    dagster_run_id     text,
    trigger            text NOT NULL DEFAULT 'manual',
    forced             boolean NOT NULL DEFAULT false,
    source             text,
    status             text NOT NULL DEFAULT 'running'
                       CHECK (status IN ('running', 'success', 'failed', 'skipped', 'abandoned')),
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    items_fetched      integer NOT NULL DEFAULT 0,
    items_rejected     integer NOT NULL DEFAULT 0,
    items_matched      integer NOT NULL DEFAULT 0,
    mappings_created   integer NOT NULL DEFAULT 0,
    conflicts_opened   integer NOT NULL DEFAULT 0,
    progress_updates   integer NOT NULL DEFAULT 0,
    api_calls          integer NOT NULL DEFAULT 0,
    error              text
);
CREATE INDEX IF NOT EXISTS audible_sync_logs_account_started_idx
    ON audible_sync_logs (account, started_at DESC);
CREATE INDEX IF NOT EXISTS audible_sync_logs_run_idx ON audible_sync_logs (dagster_run_id);
CREATE INDEX IF NOT EXISTS audible_sync_logs_failed_idx
    ON audible_sync_logs (account, started_at DESC) WHERE status = 'failed';

CREATE TABLE IF NOT EXISTS audible_conflicts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account          text NOT NULL REFERENCES audible_config (account) ON UPDATE CASCADE ON DELETE CASCADE,
    asin             text NOT NULL,
    audible_item     jsonb NOT NULL,
    candidates       jsonb NOT NULL DEFAULT '[]'::jsonb,
    reason           text NOT NULL,
    -- What of the Audible item the decision depended on; a later sync reopens
    -- an ignored conflict only when this changes.
    item_fingerprint text,
    resolved         boolean NOT NULL DEFAULT false,
    resolution       text CHECK (resolution IN ('linked', 'created', 'ignored')),
    resolved_book_id audible_tracker_book_id REFERENCES books (id) ON DELETE SET NULL,
    resolved_by      text,
    resolved_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS audible_conflicts_one_open_idx
    ON audible_conflicts (account, asin) WHERE NOT resolved;
CREATE INDEX IF NOT EXISTS audible_conflicts_account_asin_idx ON audible_conflicts (account, asin);

CREATE TABLE IF NOT EXISTS audible_progress_history (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account          text NOT NULL,
    asin             text NOT NULL,
    book_id          audible_tracker_book_id NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    percent_complete numeric(5, 2) NOT NULL,
    is_finished      boolean NOT NULL DEFAULT false,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    -- Retention deletes old sync logs; the history they produced stays.
    sync_log_id      bigint REFERENCES audible_sync_logs (id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS audible_progress_history_book_idx
    ON audible_progress_history (book_id, recorded_at DESC);
CREATE INDEX IF NOT EXISTS audible_progress_history_asin_idx
    ON audible_progress_history (account, asin, recorded_at DESC);
