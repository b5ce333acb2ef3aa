"""Where the library comes from: an audible-cli export file or the bundled demo.

The Audible API source is ``resources.audible_api.AudibleResource``; all three
produce export-shaped records that ``domain.library_items.parse_library`` reads.
An export file may be in any of audible-cli's formats (TSV, its default, CSV or
JSON); the format is recognised from the content, whatever the file is called.
"""

from __future__ import annotations

import csv
import json
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import dagster as dg

from domain.accounts import DEMO_ACCOUNT
from domain.export_formats import ExportFormatError, LibraryExport, decode_export

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


class NoLibrarySource(LookupError):
    """An account with neither stored Audible credentials nor a library file to read."""


def read_library_file(path: str | Path) -> LibraryExport:
    """Load an export file of any format; errors name the file, and the line when there is one."""
    path = Path(path).expanduser()
    name = f"library file {path}"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ExportFormatError(f"{name} does not exist ({LIBRARY_FILE_ENV}, --library)") from None
    except IsADirectoryError:
        raise ExportFormatError(f"{name} is a directory, not an export file") from None
    except OSError as error:
        raise ExportFormatError(f"{name} cannot be read: {error.strerror or error}") from None
    return decode_export(raw, name)


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
        raise NoLibrarySource(
            f"account {account!r} has no stored Audible credentials and no library file is set: "
            f"run `audible-tracker auth login --account {account}`, or set {LIBRARY_FILE_ENV} "
            "to an `audible library export` file"
        )

    def load_payload(self, source: str) -> LibraryExport | list[dict[str, Any]]:
        if source == "file":
            return read_library_file(self.library_file or "")
        if source == "demo":
            return demo_library_payload()
        raise ValueError(f"the {source!r} source is not read from this resource")
