"""`audible-tracker add-missing`: add the Audible titles the tracker lacks as tracker books.

    audible-tracker add-missing [--account NAME] (--all | --asin ASIN …) [--min-progress P] [--dry-run]

Each book gets the title without Audible's edition tags, the authors (not the
translators), the ISBN when Audible has one, and status, progress and dates from
the listening progress; each is linked by a confirmed `created` mapping. All of
it is written in one transaction (the same code as the Dagster job
`add_audible_books_to_tracker`); --dry-run only lists it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from domain.accounts import AccountChoiceError
from domain.review import ReviewError, progress_text
from pipelines.cli.review import who

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _rows(added: Any) -> list[dict[str, Any]]:
    """AddedBooks.rows with the Audible progress each book was made with."""
    return [
        {**row, "progress": progress_text(item.get("percent_complete"), item.get("is_finished"))}
        for row, (item, _) in zip(added.rows(), added.planned, strict=True)
    ]


def run_add_missing(
    args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    from resources import postgres, resolutions
    from resources.queries import accounts as accounts_sql

    out, err = stdout or sys.stdout, stderr or sys.stderr
    if not (args.all or args.asin or args.min_progress is not None):
        print("error: choose the titles: --all, --asin ASIN … or --min-progress P", file=err)
        return EXIT_USAGE
    engine = postgres.get_engine()
    try:
        with engine.begin() as conn:
            account = accounts_sql.resolve_account(conn, args.account)
            added = resolutions.add_missing(
                conn,
                account,
                asins=args.asin or (),
                take_all=args.all,
                min_progress=args.min_progress,
                dry_run=args.dry_run,
                by=who(),
            )
    except (ReviewError, AccountChoiceError) as error:
        print(f"error: {error}", file=err)
        return EXIT_ERROR
    rows = _rows(added)
    if args.json:
        out.write(json.dumps({"account": account, "dry_run": args.dry_run, "books": rows}, indent=2) + "\n")
        return EXIT_OK
    console = Console(file=out, highlight=False, soft_wrap=True)
    for row in rows:
        book = f"#{row['book_id']} " if row["book_id"] else ""
        author = f" — {row['author']}" if row["author"] else ""
        isbn = f", ISBN {row['isbn']}" if row["isbn"] else ""
        console.print(
            Text.assemble(
                (f"{row['asin']}  ", "dim"),
                book,
                f"{row['title']}{author}",
                (f"  ({row['status']}{isbn})", "dim"),
            )
        )
    for asin, progress in added.below_threshold:
        console.print(
            Text(f"{asin}  left out: progress {progress} is below {args.min_progress:g} %", style="dim")
        )
    if args.dry_run:
        console.print(
            f"Would add {len(rows)} book(s) to the tracker for account {account!r}; nothing was written."
        )
    else:
        console.print(f"Added {len(rows)} book(s) to the tracker for account {account!r}.")
    return EXIT_OK


def add_add_missing_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "add-missing",
        help="create tracker books for Audible titles no tracker book matched",
        description=(
            "Create tracker books (clean title, authors, ISBN, status and dates from progress) with confirmed "
            "mappings for unmatched Audible titles, in one transaction."
        ),
    )
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument(
        "--all", action="store_true", help="every unmatched title (not those in a conflict or ignored)"
    )
    chosen.add_argument("--asin", nargs="+", metavar="ASIN", help="these titles (any case)")
    parser.add_argument(
        "--min-progress",
        type=float,
        metavar="P",
        help="only titles listened to at least P percent (finished ones always); alone it means --all",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be created, write nothing")
    parser.add_argument("--account", help="Audible account (default: the only configured one)")
    parser.add_argument("--json", action="store_true", help="print the books as JSON")
    parser.set_defaults(func=run_add_missing)
    return parser
