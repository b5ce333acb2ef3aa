"""Account names the project gives itself, and the one rule that picks the account a command acts on.

Pure: no Dagster or database import. The sync, the jobs, the CLI and the
schedule all choose through ``choose_account``; the caller reads the accounts
from ``audible_config`` and says how a person names one in its own interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# The account the bundled demo library syncs into (embedded database only).
DEMO_ACCOUNT = "demo"
# The account an export file syncs into, and the one `auth login` stores, when none is named.
DEFAULT_ACCOUNT = "default"
# audible_config.source of an account whose library is the bundled demo.
DEMO_SOURCE = "demo"

# How a person names an account in each interface (the end of the "several accounts" error).
NAME_ON_COMMAND_LINE = "--account NAME"
NAME_IN_JOB_CONFIG = "account: NAME in the job's config"
NAME_IN_SYNC_CONFIG = "ops: {audible_library: {config: {account: NAME}}} in the run config"

_NO_ACCOUNT_HINT = (
    "run a sync first (dagster job execute -m pipelines.definitions -j audible_sync) "
    "or connect one with `audible-tracker auth login`"
)


class AccountChoiceError(LookupError):
    """No account, or no single account, to act on; the message lists what exists."""


def first_sync_account(library_file_set: bool) -> str:
    """The account a sync creates when none is named and no real account exists yet."""
    return DEFAULT_ACCOUNT if library_file_set else DEMO_ACCOUNT


def real_accounts(sources: Mapping[str, str]) -> list[str]:
    """Accounts whose library is not the bundled demo, from account -> source."""
    return [account for account, source in sources.items() if source != DEMO_SOURCE]


def choose_account(
    requested: str | None,
    sources: Mapping[str, str],
    *,
    how_to_name: str = NAME_ON_COMMAND_LINE,
    new_account: str | None = None,
) -> str:
    """The account to act on.

    ``sources`` maps every configured account (audible_config) to its source.
    A named account is used if it exists; a sync passes ``new_account`` (the
    account its first run creates) and may also name an account that does not
    exist yet, which it then creates. With none named: the only real account;
    when there is none, the sync's ``new_account``, else the only configured
    (demo-backed) account. Several candidates and none named is an error that
    lists them and says how to name one (``how_to_name``); so is no account at all.
    """
    configured = list(sources)
    if requested:
        if requested in sources or new_account is not None:
            return requested
        known = f"; configured accounts: {', '.join(configured)}" if configured else ""
        raise AccountChoiceError(
            f"no Audible account named {requested!r} is configured{known}; {_NO_ACCOUNT_HINT}"
        )
    candidates = real_accounts(sources)
    if not candidates and new_account is not None:
        return new_account
    candidates = candidates or configured
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise AccountChoiceError(
            f"several Audible accounts are configured ({', '.join(candidates)}); choose one with {how_to_name}"
        )
    raise AccountChoiceError(f"no Audible account is configured yet; {_NO_ACCOUNT_HINT}")


def accounts_to_schedule(configured: Sequence[str], library_file_set: bool) -> list[str]:
    """Every configured account; before the first sync, the account that sync creates."""
    return list(configured) or [first_sync_account(library_file_set)]
