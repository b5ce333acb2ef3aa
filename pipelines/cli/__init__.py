"""`audible-tracker`: sync now, quick status, and what Dagster cannot do (login, keys, offline match preview).

Every expected failure is printed as one line (see ``pipelines.cli.errors``);
``--debug`` adds the traceback. Command modules are imported when their command
runs, so `audible-tracker keygen` needs neither Dagster nor a database.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
import warnings
from collections.abc import Sequence

EXIT_FAILED, EXIT_INTERRUPTED = 1, 130


def status_object(account: str | None = None, database_url: str | None = None) -> dict:
    """The status object of one account: can it sync now, and its mapping stats."""
    from resources.postgres import get_engine
    from resources.queries import accounts as accounts_sql
    from resources.queries import settings as settings_queries

    with get_engine(database_url).connect() as conn:
        account = accounts_sql.resolve_account(conn, account)
        return settings_queries.sync_status(conn, account)


def run_status(args: argparse.Namespace) -> int:
    from domain.accounts import AccountChoiceError

    try:
        status = status_object(args.account)
    except AccountChoiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(status, indent=2))
    return 0


def _add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """--debug on every command, before or after its name (a traceback for any failure)."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the full traceback of a failure (and Dagster's own log for sync)",
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _add_debug_flag(subparser)


def build_parser() -> argparse.ArgumentParser:
    from pipelines.cli.auth import add_auth_parsers
    from pipelines.cli.config import add_config_parsers
    from pipelines.cli.match import add_match_parser, run_match
    from pipelines.cli.sync import add_sync_parser

    parser = argparse.ArgumentParser(
        prog="audible-tracker",
        description="Keep a book tracker in step with an Audible library (the sync itself runs in Dagster).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_sync_parser(commands)

    status = commands.add_parser("status", help="can a sync run now, and the mapping stats (JSON)")
    status.add_argument("--account", help="Audible account (default: the only configured one)")
    status.set_defaults(func=run_status)

    add_match_parser(commands)
    commands.choices["match"].set_defaults(func=run_match)

    add_config_parsers(commands)

    add_auth_parsers(commands)
    from pipelines.cli.add_missing import add_add_missing_parser
    from pipelines.cli.review import add_review_parser
    from pipelines.cli.tracker import add_tracker_parsers

    add_tracker_parsers(commands)
    add_review_parser(commands)
    add_add_missing_parser(commands)
    _add_debug_flag(parser)
    return parser


def report_error(error: BaseException, debug: bool) -> int:
    """One line on stderr for any failure; the traceback too with --debug."""
    from pipelines.cli.errors import exception_line, links_from_exception, unexpected_line

    line = exception_line(error)
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    if line is None:
        line = unexpected_line(links_from_exception(error))
        if not debug:
            line += " (run again with --debug for the traceback)"
    print(f"error: {line}", file=sys.stderr)
    return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    debug = getattr(args, "debug", False)
    args.debug = debug
    with warnings.catch_warnings():
        if not debug:
            # Library warnings (Dagster previews, platform directories) are not the user's business.
            warnings.simplefilter("ignore")
        try:
            return args.func(args)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as error:
            return report_error(error, debug)
