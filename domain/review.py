"""Conflict review and completions as plain data: what a person may decide and how it is written
(job config, the review's one-key answers), what the engine suggests for each conflict, the check's
table and the run config a person pastes, the sensor's state, and which progress changes are completions.

No Dagster or database import: the jobs, the check, the sensor and `audible-tracker review` call
these and stay thin.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.library_items import LibraryItem
from domain.new_books import NewBook
from domain.normalize import clean_words, fold, normalize_isbn
from domain.reports import markdown_table

BOOK_STATUSES = ("to_read", "reading", "finished", "dnf")
RESOLVE_JOB = "resolve_audible_conflict"
RESOLVE_OP = "resolve_conflict"  # the job's op: run config goes under ops.resolve_conflict.config
BATCH_JOB = "resolve_audible_conflicts"
BATCH_OP = "resolve_conflicts"  # ops.resolve_conflicts.config.decisions
# How many ranked candidates the review table shows per conflict.
TOP_CANDIDATES = 3
# Candidates the interactive review numbers: one key each.
MAX_CHOICES = 9


class ReviewError(ValueError):
    """A resolution that cannot be carried out, worded for the person who asked for it."""


@dataclass(frozen=True)
class Resolution:
    """What a person decided: link to an existing book, create a new one, or ignore the title.

    A ``create`` without ``book`` makes the book from the Audible title itself
    (domain.new_books.new_book_from_item).
    """

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


def validate_book_data(book_data: Mapping[str, Any]) -> NewBook:
    """book_data of a create_new resolution: title, author, isbn, status (the books table's columns)."""
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
    """Exactly one of book_id, create_new (book_data optional: else from the Audible title) or ignore."""
    chosen = [
        name
        for name, given in (("book_id", book_id is not None), ("create_new", create_new), ("ignore", ignore))
        if given
    ]
    options = "book_id, create_new or ignore" if allow_ignore else "book_id or create_new"
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
        return Resolution("create", book=validate_book_data(book_data) if book_data is not None else None)
    if not allow_ignore:  # pragma: no cover - ignore=True is refused above without allow_ignore
        raise ReviewError(f"give exactly one of {options}")
    return Resolution("ignore")


@dataclass(frozen=True)
class PlannedDecision:
    position: int  # 1-based place in the run config's list
    conflict_id: int
    resolution: Resolution

    @property
    def where(self) -> str:
        return f"decision #{self.position} (conflict_id {self.conflict_id})"


def decisions_from_config(decisions: Sequence[Mapping[str, Any]]) -> list[PlannedDecision]:
    """The batch job's list, every entry checked before anything is written.

    Raises one ReviewError naming each bad entry by its position and field.
    """
    if not decisions:
        raise ReviewError(
            "decisions is empty; list at least one conflict_id with book_id, create_new or ignore"
        )
    planned: list[PlannedDecision] = []
    problems: list[str] = []
    first_seen: dict[int, int] = {}
    for position, raw in enumerate(decisions, start=1):
        conflict_id = raw.get("conflict_id")
        where = f"decision #{position} (conflict_id {conflict_id})"
        if conflict_id in first_seen:
            problems.append(
                f"{where}: conflict_id repeats decision #{first_seen[conflict_id]}; decide each conflict once"
            )
            continue
        first_seen[conflict_id] = position
        try:
            resolution = resolution_from_config(
                book_id=raw.get("book_id"),
                create_new=bool(raw.get("create_new")),
                book_data=raw.get("book_data"),
                ignore=bool(raw.get("ignore")),
            )
        except ReviewError as error:
            problems.append(f"{where}: {error}")
            continue
        planned.append(PlannedDecision(position, conflict_id, resolution))
    if problems:
        raise ReviewError("; ".join(problems))
    return planned


def clean_asin(asin: str) -> str:
    """An ASIN as a person typed it, in the upper case Audible and the library use."""
    value = (asin or "").strip().upper()
    if not value:
        raise ReviewError("asin is empty")
    return value


# --- what the engine's reason says about the candidates -----------------------------------

CHOICE = "choice"  # a choice between plausible books: the best one is a fair default
DIFFERENT = "different book"  # the engine is sure the closest book is another work
DOUBT = "doubt"  # too weak, a repackaging (collection, adaptation), or contradicting evidence

# Reasons (the part before the colon) that say the closest book is another work for certain:
# both sides name people and none agree, or both carry numbers that differ. A collection,
# an adaptation or a number on one side only may still be the reader's book: DOUBT.
_DIFFERENT_BOOK_REASONS = ("different author", "volume mismatch", "part mismatch", "number mismatch")


def reason_kind(reason: str | None) -> str:
    """CHOICE, DIFFERENT or DOUBT for a conflict's reason sentence."""
    text = (reason or "").lower()
    head = text.split(":", 1)[0].strip()
    if head.startswith("ambiguous"):
        return CHOICE
    if head in _DIFFERENT_BOOK_REASONS and "no volume number" not in text:
        return DIFFERENT
    return DOUBT


def started(item: Mapping[str, Any]) -> bool:
    """Whether the reader has listened to the title at all (progress above zero, or finished)."""
    return bool(item.get("is_finished")) or float(item.get("percent_complete") or 0) > 0


def suggested_resolution(conflict: Mapping[str, Any]) -> Resolution:
    """What pasting the check's run config unchanged decides for one conflict.

    The best candidate only where the engine's question is a choice between plausible
    books. Where it is sure the closest book is another work, the title is added as a
    new book if the reader has started it, else left unmapped; where it is in doubt,
    left unmapped: never a link the engine argued against, never a second copy of a
    book the tracker may already hold.
    """
    kind = reason_kind(conflict.get("reason"))
    candidates = conflict.get("candidates") or []
    if kind == CHOICE and candidates:
        return Resolution("link", book_id=candidates[0]["book_id"])
    if kind == DIFFERENT and started(conflict):
        return Resolution("create")
    return Resolution("ignore")


# --- per-candidate explanation, and tracker search ------------------------------------------


def stored_library_item(item: Mapping[str, Any]) -> LibraryItem:
    """The LibraryItem of an Audible title as a conflict or the library snapshot stores it."""
    return LibraryItem(
        asin=item.get("asin") or "",
        title=item.get("title") or "",
        subtitle=item.get("subtitle"),
        authors=item.get("authors"),
        series_title=item.get("series_title"),
        series_sequence=item.get("series_sequence"),
        isbn=item.get("isbn"),
    )


def candidate_why(item: Mapping[str, Any], title: str | None, author: str | None) -> str:
    """What the engine says of this one tracker book for the Audible title, in a few words:
    "title and author match", "different author", "volume mismatch", "low confidence"...

    The engine is asked about the book alone, so the answer is about this candidate and not
    about its rivals (never "ambiguous").
    """
    # Imported here: the matcher's numpy and rapidfuzz are not needed to list or decide conflicts.
    from domain.matching import CONFLICT, LINKED, BookIndex, TrackerBook

    decision = BookIndex([TrackerBook(0, title or "", author)]).match(stored_library_item(item))
    if decision.decision == LINKED:
        return decision.reason.split(" '", 1)[0]
    if decision.decision == CONFLICT:
        return decision.reason.split(":", 1)[0]
    return "not similar enough"


def search_terms(text: str) -> list[str]:
    """The words of a `/words` search as the tracker is searched for them (each must appear)."""
    words = (word.strip(string.punctuation) for word in text.lower().split())
    return [w for w in words if any(ch.isalnum() for ch in w)]


def _comparable(text: str) -> str:
    return clean_words(fold(text), roman=False)


def rank_search_results(
    text: str, rows: Iterable[Mapping[str, Any]], limit: int = MAX_CHOICES
) -> list[dict[str, Any]]:
    """Tracker books found by a search, best first, with a 0..1 score of title+author against the words."""
    from rapidfuzz import fuzz

    query = _comparable(text)
    scored = []
    for row in rows:
        haystack = _comparable(f"{row.get('title') or ''} {row.get('author') or ''}")
        score = round(fuzz.token_set_ratio(query, haystack) / 100.0, 3)
        scored.append({**row, "book_id": row["id"], "score": score})
    scored.sort(key=lambda r: (-r["score"], r["book_id"]))
    return scored[:limit]


# --- the review's one-key answers ------------------------------------------------------------

ANSWER_HELP = "1-9 link · c create · i ignore · s skip · /words search · #ID link book · u undo · q quit"


@dataclass(frozen=True)
class Answer:
    action: str  # pick | create | ignore | skip | search | book | undo | quit | help | invalid
    number: int | None = None  # pick: the candidate's number; book: the books.id
    words: str = ""  # search
    problem: str = ""  # invalid: what was wrong, for the person


def parse_answer(text: str, choices: int) -> Answer:
    """One answer of `audible-tracker review`, the same on a terminal and from a pipe."""
    answer = text.strip()
    if not answer:
        return Answer("invalid", problem=f"type one of: {ANSWER_HELP}")
    if answer.startswith("/"):
        words = answer[1:].strip()
        if not search_terms(words):
            return Answer("invalid", problem="type the words to search after /, e.g. /hobbit tolkien")
        return Answer("search", words=words)
    if answer.startswith("#"):
        digits = answer[1:].strip()
        if not digits.isdigit() or int(digits) <= 0:
            return Answer("invalid", problem=f"#{digits}: give a tracker book id, e.g. #42")
        return Answer("book", number=int(digits))
    if answer.isdigit():
        number = int(answer)
        if 1 <= number <= choices:
            return Answer("pick", number=number)
        allowed = f"1-{choices}" if choices > 1 else "1" if choices else "none: search with /words"
        return Answer("invalid", problem=f"no candidate {number} (candidates: {allowed})")
    action = {"c": "create", "i": "ignore", "s": "skip", "u": "undo", "q": "quit", "?": "help", "h": "help"}
    if answer.lower() in action:
        return Answer(action[answer.lower()])
    return Answer("invalid", problem=f"{answer[:20]!r} is not an answer; {ANSWER_HELP}")


def progress_text(percent: Any, is_finished: Any) -> str:
    if is_finished:
        return "finished"
    value = float(percent or 0)
    return "not started" if value <= 0 else f"{value:g} %"


def runtime_text(minutes: Any) -> str:
    if not minutes:
        return "unknown length"
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


# --- what the check shows -----------------------------------------------------------------


def _cell(value: Any) -> str:
    """Table cell / comment text: one line, no pipe that would split the Markdown cell."""
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


def _book_label(candidate: Mapping[str, Any]) -> str:
    author = f" — {_cell(candidate.get('author'))}" if candidate.get("author") else ""
    return f"{_cell(candidate.get('title'))}{author} ({float(candidate.get('score') or 0):.2f})"


def _decision_lines(conflict: Mapping[str, Any]) -> list[str]:
    """One list entry of the batch config: the suggestion, then the alternatives as comments."""
    suggestion = suggested_resolution(conflict)
    candidates = list(conflict.get("candidates") or [])[:TOP_CANDIDATES]
    kind = reason_kind(conflict.get("reason"))
    by = f" by {_cell(conflict.get('authors'))}" if conflict.get("authors") else ""
    progress = progress_text(conflict.get("percent_complete"), conflict.get("is_finished"))
    lines = [
        f"        # {_cell(conflict.get('title'))}{by} ({conflict['asin']}, {_cell(conflict['account'])}, {progress})",
        f"        # {_cell(conflict.get('reason'))}",
        f"        - conflict_id: {int(conflict['id'])}",
    ]
    if suggestion.kind == "link":
        lines.append(f"          book_id: {suggestion.book_id}  # {_book_label(candidates[0])}")
    else:
        lines.append(
            "          create_new: true" if suggestion.kind == "create" else "          ignore: true"
        )
    for candidate in candidates:
        if suggestion.kind == "link" and candidate["book_id"] == suggestion.book_id:
            continue
        warning = (
            " — the engine says another work" if kind == DIFFERENT and candidate is candidates[0] else ""
        )
        lines.append(f"          # book_id: {candidate['book_id']}  # {_book_label(candidate)}{warning}")
    if suggestion.kind != "create":
        lines.append("          # create_new: true  # a new tracker book from the Audible title")
    if suggestion.kind != "ignore":
        lines.append("          # ignore: true  # leave it unmapped")
    return lines


def batch_run_config(conflicts: Sequence[Mapping[str, Any]]) -> str:
    """Run config of the batch job deciding every open conflict, valid YAML as it stands.

    Every word for people is a YAML comment, so the text pastes into the Launchpad (or a
    file for `dagster job execute -c`) unchanged. See suggested_resolution for what an
    unchanged paste decides.
    """
    lines = ["ops:", f"  {BATCH_OP}:", "    config:", "      decisions:"]
    for conflict in conflicts:
        lines += _decision_lines(conflict)
    return "\n".join(lines) + "\n"


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
            f"{len(conflicts)} unresolved conflict(s). At a terminal: `audible-tracker review`. Or copy "
            f"the run_config entry into the Launchpad of the {BATCH_JOB} job (or a file for `dagster job "
            f"execute -m pipelines.definitions -j {BATCH_JOB} -c FILE`): it decides every conflict at once, "
            "linking only where the engine had to choose between plausible books; edit what you disagree with."
        ),
        "open_conflicts": len(conflicts),
        "by_account": by_account,
        "table": conflicts_table(conflicts),
        "run_config": batch_run_config(conflicts),
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
