-- What the matcher last decided for a library item it could not link, and on
-- what basis: the item's match fingerprint and a digest of the tracker's books
-- and of the matcher itself. While neither changed, a re-sync does not match
-- the item again (the decision would be the same), so an unchanged library
-- against an unchanged tracker matches nothing and reads no books.
CREATE TABLE IF NOT EXISTS audible_match_memo (
    account          text NOT NULL REFERENCES audible_config (account) ON UPDATE CASCADE ON DELETE CASCADE,
    asin             text NOT NULL,
    item_fingerprint text NOT NULL,
    match_basis      text NOT NULL,
    decision         text NOT NULL CHECK (decision IN ('conflict', 'unmatched')),
    decided_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, asin)
);
