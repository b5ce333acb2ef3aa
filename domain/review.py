"""Conflict review and completions as plain data: config validation, the review table, the run config
a person pastes, the sensor's state, and which progress changes are completions.

No Dagster or database import: the jobs, the check and the sensor call these and stay thin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.normalize import normalize_isbn
from domain.reports import markdown_table

BOOK_STATUSES = ("to_read", "reading", "finished", "dnf")
RESOLVE_JOB = "resolve_audible_conflict"
RESOLVE_OP = "resolve_conflict"  # the job's op: run config goes under ops.resolve_conflict.config
# How many ranked candidates the review table shows per conflict.
TOP_CANDIDATES = 3


class ReviewError(ValueError):
    """A resolution that cannot be carried out, worded for the person who asked for it."""


@dataclass(frozen=True)
class NewBook:
    title: str
    author: str | None = None
    isbn: str | None = None
    status: str = "to_read"


@dataclass(frozen=True)
class Resolution:
    """What a person decided: link to an existing book, create a new one, or ignore the title."""

    kind: str  # "link" | "create" | "ignore"
    book_id: int | None = None
    book: NewBook | None = None

    @property
    def conflict_resolution(self) -> str:
        """The audible_conflicts.resolution value this decision records."""
        return {"link": "linked", "create": "created", "ignore": "ignored"}[self.kind]

    @property
    def match_method(self) -> str:
        return "created" if self.kind == "create" else "manual"


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def validate_book_data(book_data: Mapping[str, Any] | None) -> NewBook:
    """book_data of a create_new resolution, as in the seed: title, author, isbn, status."""
    if not book_data:
        raise ReviewError("create_new: true needs book_data with at least a title")
    unknown = sorted(set(book_data) - {"title", "author", "isbn", "status"})
    if unknown:
        raise ReviewError(
            f"book_data has unknown field(s) {', '.join(unknown)}; use title, author, isbn, status"
        )
    title = _blank(book_data.get("title"))
    if not title:
        raise ReviewError("book_data.title is empty; give the title of the book to create")
    isbn = _blank(book_data.get("isbn"))
    if isbn is not None and normalize_isbn(isbn) is None:
        raise ReviewError(
            f"book_data.isbn {isbn!r} is not a valid ISBN-10 or ISBN-13 (checksum); fix it or leave it out"
        )
    status = _blank(book_data.get("status")) or "to_read"
    if status not in BOOK_STATUSES:
        raise ReviewError(f"book_data.status {status!r} must be one of {', '.join(BOOK_STATUSES)}")
    return NewBook(title=title, author=_blank(book_data.get("author")), isbn=isbn, status=status)


def resolution_from_config(
    *,
    book_id: int | None,
    create_new: bool,
    book_data: Mapping[str, Any] | None,
    ignore: bool = False,
    allow_ignore: bool = True,
) -> Resolution:
    """Exactly one of book_id, create_new (with book_data) or ignore."""
    chosen = [
        name
        for name, given in (("book_id", book_id is not None), ("create_new", create_new), ("ignore", ignore))
        if given
    ]
    options = "book_id, create_new (with book_data) or ignore" if allow_ignore else "book_id or create_new"
    if len(chosen) != 1:
        what = "none" if not chosen else " and ".join(chosen)
        raise ReviewError(f"give exactly one of {options}; got {what}")
    if book_data is not None and not create_new:
        raise ReviewError("book_data is only used with create_new: true; remove it or set create_new: true")
    if book_id is not None:
        if book_id <= 0:
            raise ReviewError(f"book_id must be a positive books.id, not {book_id}")
        return Resolution("link", book_id=book_id)
    if create_new:
        return Resolution("create", book=validate_book_data(book_data))
    if not allow_ignore:  # pragma: no cover - ignore=True is refused above without allow_ignore
        raise ReviewError(f"give exactly one of {options}")
    return Resolution("ignore")


def choose_account(requested: str | None, accounts: Sequence[str], syncable: Sequence[str]) -> str:
    """The account a job acts on, defaulted like the sync: the named one, else the only real one."""
    if requested:
        if requested not in accounts:
            known = ", ".join(accounts) or "none yet"
            raise ReviewError(f"no Audible account {requested!r} (accounts: {known})")
        return requested
    if len(syncable) == 1:
        return syncable[0]
    if not syncable and len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise ReviewError("no Audible account has synced yet; run the audible_sync job first")
    choices = list(syncable) or list(accounts)
    raise ReviewError(f"several Audible accounts ({', '.join(choices)}); choose one with account: NAME")


def clean_asin(asin: str) -> str:
    """An ASIN as a person typed it, in the upper case Audible and the library use."""
    value = (asin or "").strip().upper()
    if not value:
        raise ReviewError("asin is empty")
    return value


# --- what the check shows -----------------------------------------------------------------


def _cell(value: Any) -> str:
    """Table cell text: one line, no pipe that would split the Markdown cell."""
    if value is None:
        return ""
    return " ".join(str(value).split()).replace("|", "/")


def candidate_summary(candidates: Iterable[Mapping[str, Any]], limit: int = TOP_CANDIDATES) -> str:
    parts = []
    for candidate in list(candidates)[:limit]:
        author = f" — {candidate['author']}" if candidate.get("author") else ""
        parts.append(
            f"#{candidate['book_id']} {candidate.get('title')}{author} ({float(candidate['score']):.2f})"
        )
    return _cell("; ".join(parts)) or "no candidate"


def conflicts_table(conflicts: Sequence[Mapping[str, Any]]) -> str:
    """The open conflicts as a Markdown table a person reads in the check's metadata."""
    return markdown_table(
        [
            {
                "conflict_id": c["id"],
                "account": _cell(c["account"]),
                "asin": _cell(c["asin"]),
                "audible_title": _cell(c.get("title")),
                "audible_authors": _cell(c.get("authors")),
                "candidates (book id, title, author, score)": candidate_summary(c.get("candidates") or []),
                "reason": _cell(c.get("reason")),
            }
            for c in conflicts
        ]
    )


def _yaml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def example_run_config(conflict: Mapping[str, Any]) -> str:
    """Ready-to-paste run config (Launchpad or `dagster job execute -c`) resolving one conflict.

    Plain YAML, comments included, so the text a person copies is exactly what the job accepts.
    """
    candidates = list(conflict.get("candidates") or [])
    lines = [
        f"# Run config for the {RESOLVE_JOB} job: paste it into the Launchpad, or save it as config.yaml",
        f"# and run `dagster job execute -m pipelines.definitions -j {RESOLVE_JOB} -c config.yaml`.",
        "ops:",
        f"  {RESOLVE_OP}:",
        "    config:",
        f"      conflict_id: {conflict['id']}",
    ]
    title = conflict.get("title") or ""
    if candidates:
        best = candidates[0]
        lines.append(
            f"      book_id: {best['book_id']}  # {_cell(best.get('title'))} — {_cell(best.get('author'))}"
        )
        for other in candidates[1:TOP_CANDIDATES]:
            lines.append(
                f"      # or book_id: {other['book_id']}  # {_cell(other.get('title'))} — {_cell(other.get('author'))}"
            )
        lines.append("      # or, instead of book_id, add the title as a new book:")
        prefix = "      # "
    else:
        prefix = "      "
    lines += [
        f"{prefix}create_new: true",
        f"{prefix}book_data:",
        f"{prefix}  title: {_yaml_string(title)}",
        f"{prefix}  author: {_yaml_string(conflict.get('authors') or '')}",
        f"{prefix}  status: to_read",
        "      # or, to leave it unmapped until its Audible title/authors/series change: ignore: true",
    ]
    return "\n".join(lines)


def conflicts_state(conflicts: Iterable[Mapping[str, Any]]) -> str:
    """A short digest of the open conflicts (ids and last change): the sensor's cursor."""
    basis = sorted(
        f"{c['id']}@{c['updated_at'].isoformat() if c.get('updated_at') else ''}" for c in conflicts
    )
    return hashlib.sha256("\n".join(basis).encode()).hexdigest()[:24]


def review_summary(conflicts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the unresolved_conflicts check reports: pass/fail, a description and readable metadata."""
    by_account: dict[str, int] = {}
    for conflict in conflicts:
        by_account[conflict["account"]] = by_account.get(conflict["account"], 0) + 1
    if not conflicts:
        return {
            "passed": True,
            "description": "No unresolved conflicts: every uncertain match has been decided.",
            "open_conflicts": 0,
            "by_account": {},
            "table": "_none_",
            "run_config": "",
        }
    return {
        "passed": False,
        "description": (
            f"{len(conflicts)} unresolved conflict(s): launch the {RESOLVE_JOB} job with the run config "
            "below (Launchpad, or `dagster job execute -m pipelines.definitions -j "
            f"{RESOLVE_JOB} -c config.yaml`)."
        ),
        "open_conflicts": len(conflicts),
        "by_account": by_account,
        "table": conflicts_table(conflicts),
        "run_config": example_run_config(conflicts[0]),
    }


# --- completions --------------------------------------------------------------------------


def completions(changes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Progress changes in which a mapped title became finished.

    A mapping seeing its title for the first time (no earlier percent) is not a
    completion: a first sync, or a link made by a person, would otherwise
    announce every book finished years ago.
    """
    return [
        c for c in changes if c["is_finished"] and not c["was_finished"] and c.get("old_percent") is not None
    ]
