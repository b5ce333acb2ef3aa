"""Where the library comes from: an audible-cli export file or the bundled demo.

The Audible API source is ``resources.audible_api.AudibleResource``; all three
produce export-shaped records that ``domain.library_items.parse_library`` reads.
"""

from __future__ import annotations

import csv
import json
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import dagster as dg

from domain.accounts import DEMO_ACCOUNT
from domain.library_items import LibraryShapeError

LIBRARY_FILE_ENV = "AUDIBLE_TRACKER_LIBRARY_FILE"


def _demo_file(name: str):
    return importlib_resources.files("resources").joinpath("demo_data", name)


def demo_library_payload() -> list[dict[str, Any]]:
    return json.loads(_demo_file("library.json").read_text(encoding="utf-8"))


def demo_books() -> list[dict[str, Any]]:
    with _demo_file("books.csv").open(encoding="utf-8", newline="") as handle:
        return [
            {
                "id": int(row["id"]),
                "title": row["title"],
                "author": row["author"] or None,
                "isbn": row["isbn"] or None,
                "status": row["status"] or "to_read",
            }
            for row in csv.DictReader(handle)
        ]


def read_library_file(path: str | Path) -> Any:
    """Load an export file, with errors that say which file and what is wrong with it."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LibraryShapeError(f"library file {path} does not exist ({LIBRARY_FILE_ENV})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LibraryShapeError(f"library file {path} cannot be read: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise LibraryShapeError(
            f"library file {path} is not JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "export it with `audible library export --format json`"
        ) from None


class LibrarySourceResource(dg.ConfigurableResource):
    """Chooses the library source for a sync.

    ``source``: ``auto`` (file when ``library_file`` is set, else the account's
    stored Audible credentials, else the demo library on the embedded database),
    or one of ``file``, ``api``, ``demo`` to insist.
    """

    library_file: str | None = None
    source: str = "auto"

    def choose(self, *, account: str, has_stored_auth: bool, embedded_database: bool) -> str:
        if self.source not in {"auto", "file", "api", "demo"}:
            raise ValueError(f"library source must be auto, file, api or demo, not {self.source!r}")
        if self.source != "auto":
            if self.source == "file" and not self.library_file:
                raise ValueError(f"library source 'file' needs {LIBRARY_FILE_ENV} (or library_file) set")
            return self.source
        if self.library_file:
            return "file"
        if has_stored_auth:
            return "api"
        if account == DEMO_ACCOUNT and embedded_database:
            return "demo"
        raise LookupError(
            f"account {account!r} has no stored Audible credentials and no library file is set: "
            f"run `audible-tracker auth login --account {account}`, or set {LIBRARY_FILE_ENV} "
            "to an `audible library export --format json` file"
        )

    def load_payload(self, source: str) -> Any:
        if source == "file":
            return read_library_file(self.library_file or "")
        if source == "demo":
            return demo_library_payload()
        raise ValueError(f"the {source!r} source is not read from this resource")
