"""SQL for Audible accounts and their encrypted credentials (table ``audible_config``).

Only ciphertext passes through here; encryption is ``resources.cipher``'s job.
Deleting credentials clears the blob but keeps the row: mappings, conflicts and
history reference the account and would be cascaded away with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from domain.accounts import NAME_ON_COMMAND_LINE, choose_account


@dataclass(frozen=True)
class AccountRow:
    account: str
    marketplace: str
    source: str
    enabled: bool
    last_sync_at: datetime | None
    # repr=False: a row printed in a log or a test failure must not show the ciphertext.
    auth_encrypted: str | None = field(default=None, repr=False)

    @property
    def has_auth(self) -> bool:
        return bool(self.auth_encrypted)


_SELECT = sa.text(
    "SELECT account, marketplace, source, enabled, last_sync_at, auth_encrypted"
    " FROM audible_config WHERE account = :account"
)


def get_account(conn: sa.Connection, account: str) -> AccountRow | None:
    row = conn.execute(_SELECT, {"account": account}).mappings().first()
    return AccountRow(**row) if row else None


def list_accounts(conn: sa.Connection) -> list[AccountRow]:
    rows = conn.execute(
        sa.text(
            "SELECT account, marketplace, source, enabled, last_sync_at, auth_encrypted"
            " FROM audible_config ORDER BY account"
        )
    ).mappings()
    return [AccountRow(**row) for row in rows]


def has_stored_auth(conn: sa.Connection, account: str) -> bool:
    return bool(
        conn.execute(
            sa.text(
                "SELECT auth_encrypted IS NOT NULL AND auth_encrypted <> ''"
                " FROM audible_config WHERE account = :account"
            ),
            {"account": account},
        ).scalar()
    )


def last_sync(conn: sa.Connection, account: str) -> tuple[str, datetime] | None:
    """Status and start of the account's latest sync log row."""
    row = conn.execute(
        sa.text(
            "SELECT status, started_at FROM audible_sync_logs WHERE account = :account"
            " ORDER BY started_at DESC, id DESC LIMIT 1"
        ),
        {"account": account},
    ).first()
    return (row[0], row[1]) if row else None


def store_auth(conn: sa.Connection, account: str, marketplace: str, auth_encrypted: str) -> bool:
    """Insert or replace an account's credentials; the account then syncs from the API.

    Returns True when the account row is new.
    """
    inserted = conn.execute(
        sa.text(
            "INSERT INTO audible_config (account, marketplace, auth_encrypted, source)"
            " VALUES (:account, :marketplace, :auth, 'api')"
            " ON CONFLICT (account) DO UPDATE SET"
            "   marketplace = EXCLUDED.marketplace,"
            "   auth_encrypted = EXCLUDED.auth_encrypted,"
            "   source = 'api',"
            "   updated_at = now()"
            # xmax = 0 only for a freshly inserted row version.
            " RETURNING (xmax = 0) AS inserted"
        ),
        {"account": account, "marketplace": marketplace, "auth": auth_encrypted},
    ).scalar_one()
    return bool(inserted)


def update_auth(conn: sa.Connection, account: str, read_blob: str, auth_encrypted: str) -> bool:
    """Replace the blob a sync read with its refreshed state: a compare-and-swap.

    False when the stored blob is no longer ``read_blob``: a logout, a new
    login or import, or a key rotation got there first. Their state is newer
    than this sync's, so it is kept; writing here would bring credentials back
    after a logout or overwrite the ones a person just stored.
    """
    result = conn.execute(
        sa.text(
            "UPDATE audible_config SET auth_encrypted = :auth, updated_at = now()"
            " WHERE account = :account AND auth_encrypted = :read_blob"
        ),
        {"account": account, "auth": auth_encrypted, "read_blob": read_blob},
    )
    return result.rowcount == 1


def delete_auth(conn: sa.Connection, account: str) -> bool:
    """Forget the credentials; True if there were any."""
    result = conn.execute(
        sa.text(
            "UPDATE audible_config SET auth_encrypted = NULL, updated_at = now()"
            " WHERE account = :account AND auth_encrypted IS NOT NULL"
        ),
        {"account": account},
    )
    return result.rowcount == 1


def rotate_all_auth(engine: sa.Engine, rotate: Callable[[str, str], str]) -> int:
    """Re-encrypt every stored blob with ``rotate(ciphertext, account)``, all or nothing.

    One transaction with the rows locked: if one account cannot be decrypted,
    nothing changes, so a half-rotated database never needs both keys to guess
    which rows are which.
    """
    with engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT account, auth_encrypted FROM audible_config"
                " WHERE auth_encrypted IS NOT NULL ORDER BY account FOR UPDATE"
            )
        ).all()
        for account, blob in rows:
            conn.execute(
                sa.text(
                    "UPDATE audible_config SET auth_encrypted = :auth, updated_at = now()"
                    " WHERE account = :account"
                ),
                {"account": account, "auth": rotate(blob, account)},
            )
    return len(rows)


def ensure_account(conn: sa.Connection, account: str, source: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO audible_config (account, source) VALUES (:account, :source) "
            "ON CONFLICT (account) DO NOTHING"
        ),
        {"account": account, "source": source},
    )


def account_sources(conn: sa.Connection) -> dict[str, str]:
    """Every configured account -> its library source, in name order."""
    return {row.account: row.source for row in list_accounts(conn)}


def resolve_account(
    conn: sa.Connection,
    requested: str | None,
    *,
    how_to_name: str = NAME_ON_COMMAND_LINE,
    new_account: str | None = None,
) -> str:
    """The account to act on, by ``domain.accounts.choose_account``; AccountChoiceError otherwise."""
    return choose_account(requested, account_sources(conn), how_to_name=how_to_name, new_account=new_account)
