"""`audible-tracker config show|set`: read and change an account's sync settings.

The settings are columns of ``audible_config``; the schedule and
``audible_can_sync()`` read them there on every tick, so a change applies at the
next tick without restarting anything. Values are validated by
``domain.settings``, the same code the Dagster job `update_audible_settings` uses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from typing import Any

from domain.accounts import AccountChoiceError
from domain.settings import (
    NOTIFY_WEBHOOK_ENV,
    SETTINGS,
    SettingError,
    describe_changes,
    format_value,
    parse_setting,
    settings_lines,
)


def _engine():
    from resources.postgres import get_engine

    return get_engine()


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def notify_webhook_configured() -> bool:
    """Whether the finished-book webhook is set in this environment (its value is never shown)."""
    return bool(os.environ.get(NOTIFY_WEBHOOK_ENV, "").strip())


def cmd_show(args: argparse.Namespace) -> int:
    from resources.queries import accounts as accounts_sql
    from resources.queries import settings as q

    try:
        with _engine().connect() as conn:
            account = accounts_sql.resolve_account(conn, args.account)
            values = q.read_settings(conn, account)
            status = q.sync_status(conn, account)
    except AccountChoiceError as error:
        return _err(str(error))
    if values is None:  # deleted between the two reads
        return _err(f"no Audible account named {account!r} is configured")
    webhook = notify_webhook_configured()
    if args.json:
        print(
            json.dumps(
                {
                    "account": account,
                    "settings": {key: values[key] for key in SETTINGS},
                    "notify_webhook_set": webhook,
                    "state": {key: _plain(values[key]) for key in q.STATE_COLUMNS},
                    "status": status,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"Sync settings of Audible account {account!r} (change one with `audible-tracker config set KEY VALUE`)"
    )
    webhook_text = f"{'set' if webhook else 'not set'} ({NOTIFY_WEBHOOK_ENV} in this environment)"
    for line in settings_lines(values, extra=[("notify_webhook", webhook_text)]):
        print(f"  {line}")
    print()
    print(f"  last sync     {format_value(_plain(values['last_sync_at']))}")
    print(f"  syncs today   {values['syncs_today']} (day {values['daily_reset_date']}, {values['timezone']})")
    if status["can_sync"]:
        print("  sync now      allowed")
    else:
        print(f"  sync now      not allowed: {status['reason']}")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from resources.queries import accounts as accounts_sql
    from resources.queries import settings as q

    try:
        key, value = parse_setting(args.key, args.value)
        with _engine().begin() as conn:
            account = accounts_sql.resolve_account(conn, args.account)
            before, after = q.update_settings(conn, account, {key: value})
        with _engine().connect() as conn:
            status = q.sync_status(conn, account)
    except (SettingError, AccountChoiceError) as error:
        return _err(str(error))
    changes = describe_changes(before, after)
    if changes:
        print(f"Account {account!r}: {changes[0]} (applies from the next schedule tick)")
    else:
        print(f"Account {account!r}: {key} is already {SETTINGS[key].show(value)}; nothing changed")
    if status["can_sync"]:
        print("Sync now: allowed")
    else:
        print(f"Sync now: not allowed: {status['reason']}")
    return 0


def _settings_epilog() -> str:
    lines = ["settings:"]
    for setting in SETTINGS.values():
        lines.append(f"  {setting.key:<22} {setting.help}; {setting.allowed}")
    lines.append(f"  {'notify_webhook':<22} not stored: set {NOTIFY_WEBHOOK_ENV} in the environment")
    return "\n".join(lines)


def add_config_parsers(commands: Any) -> None:
    config = commands.add_parser(
        "config",
        help="show or change an account's sync settings (interval, daily limit, pause…)",
        description="Show or change an account's sync settings (stored in audible_config).",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    account_help = "Audible account (default: the only configured one)"

    show = actions.add_parser("show", help="print the account's settings and whether it can sync now")
    show.add_argument("--account", help=account_help)
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(func=cmd_show)

    change = actions.add_parser(
        "set",
        help="change one setting, e.g. `config set enabled false` to pause syncing",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    change.add_argument("key", metavar="KEY", help=f"one of: {', '.join(SETTINGS)}")
    change.add_argument("value", metavar="VALUE")
    change.add_argument("--account", help=account_help)
    change.set_defaults(func=cmd_set)
