"""`audible-tracker`: what Dagster cannot do (login, keys, offline match preview) and quick status."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from domain.accounts import DEMO_ACCOUNT
from pipelines.cli.auth import add_auth_parsers
from pipelines.cli.match import add_match_parser, run_match
from resources.queries import accounts as accounts_sql


def _default_account(conn) -> str:

    accounts = accounts_sql.syncable_accounts(conn)
    return accounts[0] if len(accounts) == 1 else DEMO_ACCOUNT


def status_object(account: str | None = None, database_url: str | None = None) -> dict:
    """The seed's status object for one account."""
    from resources.postgres import get_engine
    from resources.queries import settings as settings_queries

    with get_engine(database_url).connect() as conn:
        account = account or _default_account(conn)
        return settings_queries.sync_status(conn, account)


def run_status(args: argparse.Namespace) -> int:
    if args.account:
        from resources.postgres import get_engine

        with get_engine().connect() as conn:
            configured = accounts_sql.all_accounts(conn)
        if args.account not in configured:
            known = f" (configured: {', '.join(configured)})" if configured else ""
            print(f"error: no Audible account named {args.account!r} is configured{known}", file=sys.stderr)
            return 1
    print(json.dumps(status_object(args.account), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audible-tracker",
        description="Keep a book tracker in step with an Audible library (the sync itself runs in Dagster).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser("status", help="can a sync run now, and the mapping stats (JSON)")
    status.add_argument("--account", help="Audible account (default: the only configured one)")
    status.set_defaults(func=run_status)

    add_match_parser(commands)
    commands.choices["match"].set_defaults(func=run_match)

    from pipelines.cli.config import add_config_parsers

    add_config_parsers(commands)

    add_auth_parsers(commands)

    from pipelines.cli.add_missing import add_add_missing_parser
    from pipelines.cli.review import add_review_parser

    add_review_parser(commands)
    add_add_missing_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
