"""`audible-tracker review`: decide the open conflicts, one key per decision.

    audible-tracker review [--account NAME] [--unmatched]
    audible-tracker review --list [--json]

One screen per title: what Audible says about it, the numbered tracker books
that might be it (title, author, score, why), and the engine's reason. Answers:
a number links that book, `c` creates a tracker book from the Audible title, `i`
ignores it, `s` skips, `/words` searches the tracker, `#ID` links book ID, `u`
takes the last decision back, `q` quits. On a terminal one key is enough; when
standard input is not a terminal each line is one answer, with the same words.

Each decision is written at once, in its own transaction, by the same code as
the Dagster jobs (resources.resolutions), and recorded as `cli:<user>`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import sqlalchemy as sa
from rich.console import Console
from rich.text import Text

from domain.new_books import new_book_from_item
from domain.review import (
    ANSWER_HELP,
    MAX_CHOICES,
    Answer,
    Resolution,
    ReviewError,
    candidate_why,
    parse_answer,
    progress_text,
    rank_search_results,
    runtime_text,
    search_terms,
    suggested_resolution,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return f"cli:{user}"


# --- what is reviewed ------------------------------------------------------------------------


@dataclass
class Entry:
    """One title on the review's list: an open conflict, or (with --unmatched) an unmapped title."""

    item: dict[str, Any]  # account, asin and the Audible data
    candidates: list[dict[str, Any]]  # book_id, title, author, score, why
    reason: str
    conflict_id: int | None = None

    @property
    def label(self) -> str:
        return f"conflict {self.conflict_id}" if self.conflict_id is not None else "unmatched title"


def _with_why(item: dict[str, Any], candidates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**c, "why": candidate_why(item, c.get("title"), c.get("author"))}
        for c in list(candidates)[:MAX_CHOICES]
    ]


def conflict_entries(conflicts: Sequence[dict[str, Any]]) -> list[Entry]:
    entries = []
    for conflict in conflicts:
        item = {k: v for k, v in conflict.items() if k not in ("candidates", "reason", "id")}
        entries.append(
            Entry(item, _with_why(item, conflict.get("candidates") or []), conflict["reason"], conflict["id"])
        )
    return entries


def _engine_note(
    note: dict[str, Any], books: Callable[[list[int]], dict[int, dict]]
) -> tuple[list[dict[str, Any]], str]:
    """The closest books and the reason the engine kept for an unmatched title, when the view has them."""
    closest = [c for c in note.get("candidates") or [] if isinstance(c, dict) and "book_id" in c]
    book_id = note.get("closest_book_id")
    if not closest and book_id is not None:
        found = books([book_id]).get(book_id)
        closest = [{**found, "book_id": book_id, "score": note.get("closest_score") or 0}] if found else []
    return closest, note.get("reason") or "unmatched: no tracker book looked like it"


def unmatched_entries(
    rows: Sequence[dict[str, Any]], books: Callable[[list[int]], dict[int, dict]]
) -> list[Entry]:
    """Unmapped titles with no open conflict and not ignored."""
    entries = []
    for row in rows:
        if row.get("open_conflict_id") is not None or row.get("ignored"):
            continue
        item = {k: v for k, v in row.items() if k not in ("unmapped", "open_conflict_id", "ignored")}
        closest, reason = _engine_note(row.get("unmapped") or {}, books)
        entries.append(Entry(item, _with_why(item, closest), reason))
    return entries


# --- one screen --------------------------------------------------------------------------------


def _detail(label: str, value: Any) -> Text:
    return Text.assemble(("  " + label.ljust(10), "dim"), str(value))


def screen(entry: Entry, position: int, total: int) -> list[Text]:
    item = entry.item
    lines = [
        Text.assemble(
            (f"[{position}/{total}] ", "dim"),
            (entry.label, "bold yellow" if entry.conflict_id is not None else "bold cyan"),
            (f" · account {item['account']} · {item['asin']}", "dim"),
        ),
        Text("  " + (item.get("title") or "(no title)"), style="bold"),
    ]
    if item.get("subtitle"):
        lines.append(_detail("subtitle", item["subtitle"]))
    lines.append(_detail("by", item.get("authors") or "unknown"))
    if item.get("narrators"):
        lines.append(_detail("narrated", item["narrators"]))
    if item.get("series_title"):
        position_text = f" #{item['series_sequence']}" if item.get("series_sequence") else ""
        lines.append(_detail("series", f"{item['series_title']}{position_text}"))
    lines.append(_detail("length", runtime_text(item.get("runtime_length_min"))))
    lines.append(_detail("progress", progress_text(item.get("percent_complete"), item.get("is_finished"))))
    lines.append(_detail("engine", entry.reason))
    lines += candidate_lines(entry.candidates)
    return lines


def candidate_lines(candidates: Sequence[dict[str, Any]]) -> list[Text]:
    if not candidates:
        return [Text("  no candidate: search the tracker with /words, or link a book with #ID", style="dim")]
    lines = []
    for number, candidate in enumerate(candidates, start=1):
        author = f" — {candidate['author']}" if candidate.get("author") else ""
        lines.append(
            Text.assemble(
                (f"  {number} ", "bold green"),
                (f"#{candidate['book_id']} ", "dim"),
                f"{candidate.get('title')}{author}",
                (f"  {float(candidate.get('score') or 0):.2f}  {candidate.get('why', '')}", "dim"),
            )
        )
    return lines


# --- reading answers -----------------------------------------------------------------------------


class Answers:
    """Answers from a terminal (one key; `/` and `#` read the rest of the line) or a pipe (one per line)."""

    def __init__(self, stdin: TextIO, console: Console):
        self.stdin = stdin
        self.console = console
        self.interactive = stdin.isatty()

    @contextmanager
    def keys(self) -> Iterator[None]:
        """On a terminal, keys arrive one by one for the whole review (typed-ahead keys included)."""
        if not self.interactive:
            yield
            return
        with _cbreak(self.stdin):
            yield

    def read(self, prompt: str) -> str | None:
        """The next answer, None at the end of input."""
        self.console.print(Text(prompt, style="bold"), end="")
        if not self.interactive:
            line = self.stdin.readline()
            if not line:
                self.console.print()
                return None
            answer = line.rstrip("\r\n")
            self.console.print(answer)  # a transcript reads like the terminal session would
            return answer
        key = self.stdin.read(1)
        if key in ("", "\x04"):  # end of input, Ctrl-D
            self.console.print()
            return None
        self.console.print(key, end="" if key in "/#" else "\n")
        return key + self._rest_of_line() if key in "/#" else key

    def _rest_of_line(self) -> str:
        """What follows `/` or `#`, echoed as typed; Backspace deletes, Enter ends."""
        typed = ""
        while True:
            key = self.stdin.read(1)
            if key in ("", "\r", "\n", "\x04"):
                self.console.print()
                return typed
            if key in ("\x7f", "\b"):
                if typed:
                    typed = typed[:-1]
                    self.console.print("\b \b", end="")
                continue
            typed += key
            self.console.print(key, end="")


@contextmanager
def _cbreak(stream: TextIO) -> Iterator[None]:
    """Keys arrive one by one, without Enter and without echo (the terminal restored afterwards)."""
    try:
        import termios
        import tty
    except ImportError:  # pragma: no cover - not a POSIX terminal
        yield
        return
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


# --- the session ---------------------------------------------------------------------------------


@dataclass
class Decided:
    index: int
    kind: str  # link | create | ignore | skip
    outcome: Any = None  # resources.resolutions.Outcome, None for a skip


@dataclass
class Session:
    entries: list[Entry]
    engine: Any
    console: Console
    answers: Answers
    by: str = field(default_factory=who)
    history: list[Decided] = field(default_factory=list)

    def run(self) -> dict[str, int]:
        index = 0
        while index is not None:
            index = self._review(index) if index < len(self.entries) else self._at_the_end()
        return self.tally()

    def _at_the_end(self) -> int | None:
        """The list is done: the last decision can still be taken back before leaving."""
        if not self.history:
            return None
        while True:
            raw = self.answers.read("End of the list. [u undo, q quit] > ")
            if raw is None or raw.strip().lower() in ("", "q"):
                return None
            if raw.strip().lower() == "u":
                previous = self._undo()
                if previous is not None:
                    return previous
            else:
                self.console.print(Text("  u takes the last decision back, q quits", style="dim"))

    def tally(self) -> dict[str, int]:
        counts = {"linked": 0, "created": 0, "ignored": 0, "skipped": 0}
        names = {"link": "linked", "create": "created", "ignore": "ignored", "skip": "skipped"}
        for decided in self.history:
            counts[names[decided.kind]] += 1
        counts["left"] = len(self.entries) - sum(counts.values())
        return counts

    def _review(self, index: int) -> int | None:
        """Show one title and ask until it is decided; returns the next index, None to stop."""
        entry = self.entries[index]
        candidates = entry.candidates
        self.console.print()
        for line in screen(entry, index + 1, len(self.entries)):
            self.console.print(line)
        while True:
            raw = self.answers.read(f"[{_choices(candidates)}] > ")
            if raw is None:
                return None
            answer = parse_answer(raw, len(candidates))
            if answer.action == "quit":
                return None
            if answer.action in ("help", "invalid"):
                self.console.print(Text(answer.problem or ANSWER_HELP, style="dim"))
                continue
            if answer.action == "search":
                candidates = self._search(entry, answer.words)
                continue
            if answer.action == "undo":
                previous = self._undo()
                if previous is None:
                    continue
                return previous
            if answer.action == "skip":
                self.history.append(Decided(index, "skip"))
                self.console.print(Text("  skipped", style="dim"))
                return index + 1
            if self._decide(index, entry, _resolution(answer, candidates)):
                return index + 1

    def _search(self, entry: Entry, words: str) -> list[dict[str, Any]]:
        from resources.queries import books as books_sql

        with self.engine.connect() as conn:
            rows = books_sql.search_books(conn, search_terms(words))
        found = _with_why(entry.item, rank_search_results(words, rows))
        self.console.print(Text(f"  {len(found)} book(s) found for {words!r}:", style="dim"))
        for line in candidate_lines(found):
            self.console.print(line)
        return found or entry.candidates

    def _decide(self, index: int, entry: Entry, resolution: Resolution) -> bool:
        from resources import resolutions

        try:
            with self.engine.begin() as conn:
                if entry.conflict_id is not None:
                    outcome = resolutions.resolve_conflict(conn, entry.conflict_id, resolution, by=self.by)
                else:
                    outcome = resolutions.decide_title(
                        conn, entry.item["account"], entry.item["asin"], resolution, by=self.by
                    )
        except (ReviewError, sa.exc.DBAPIError) as error:
            self.console.print(Text(f"  not done: {_one_line(error)}", style="red"))
            return False
        self.history.append(Decided(index, resolution.kind, outcome))
        self.console.print(Text("  " + _done_text(entry, resolution, outcome), style="green"))
        return True

    def _undo(self) -> int | None:
        """Take the last decision back; the index of its title, None when there is nothing to undo."""
        from resources import resolutions

        if not self.history:
            self.console.print(Text("  nothing to undo", style="dim"))
            return None
        last = self.history.pop()
        if last.outcome is not None:
            try:
                with self.engine.begin() as conn:
                    note = resolutions.undo(conn, last.outcome.undo)
            except (ReviewError, sa.exc.DBAPIError) as error:
                self.console.print(Text(f"  cannot undo: {_one_line(error)}", style="red"))
                return None
            self.console.print(Text(f"  undone: {note}", style="yellow"))
        else:
            self.console.print(Text("  back to the skipped title", style="yellow"))
        return last.index


def _one_line(error: Exception) -> str:
    """A refusal as written, or a database error in the command's usual one line; nothing is kept."""
    if isinstance(error, ReviewError):
        return str(error)
    from pipelines.cli.errors import exception_line, links_from_exception, unexpected_line

    return exception_line(error) or unexpected_line(links_from_exception(error))


def _choices(candidates: Sequence[Any]) -> str:
    numbers = f"1-{len(candidates)} " if len(candidates) > 1 else "1 " if candidates else ""
    return f"{numbers}c i s /search #id u q"


def _resolution(answer: Answer, candidates: Sequence[dict[str, Any]]) -> Resolution:
    if answer.action == "pick":
        return Resolution("link", book_id=int(candidates[answer.number - 1]["book_id"]))
    if answer.action == "book":
        return Resolution("link", book_id=answer.number)
    return Resolution(answer.action)  # create (from the Audible title) | ignore


def _done_text(entry: Entry, resolution: Resolution, outcome: Any) -> str:
    if resolution.kind == "ignore":
        return "ignored: left unmapped until its Audible title, authors or series change"
    if resolution.kind == "create":
        book = new_book_from_item(entry.item)
        author = f" — {book.author}" if book.author else ""
        return f"created book #{outcome.book_id}: {book.title}{author} ({book.status}), linked"
    return f"linked to book #{outcome.book_id}"


# --- the command ---------------------------------------------------------------------------------


def _listing(conflicts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    listed = []
    for conflict in conflicts:
        suggestion = suggested_resolution(conflict)
        listed.append(
            {
                "conflict_id": conflict["id"],
                "account": conflict["account"],
                "asin": conflict["asin"],
                "title": conflict.get("title"),
                "authors": conflict.get("authors"),
                "progress": progress_text(conflict.get("percent_complete"), conflict.get("is_finished")),
                "reason": conflict.get("reason"),
                "suggestion": {"decision": suggestion.kind, "book_id": suggestion.book_id},
                "candidates": [
                    {k: c.get(k) for k in ("book_id", "title", "author", "score")}
                    for c in conflict.get("candidates") or []
                ],
            }
        )
    return listed


def _print_list(console: Console, listed: Sequence[dict[str, Any]]) -> None:
    for entry in listed:
        best = entry["candidates"][0] if entry["candidates"] else None
        closest = (
            f"#{best['book_id']} {best['title']} ({float(best['score']):.2f})" if best else "no candidate"
        )
        console.print(
            Text.assemble(
                (f"{entry['conflict_id']:>5} ", "bold"),
                f"{entry['title']} — {entry['authors'] or 'unknown'} ",
                (f"[{entry['asin']}, {entry['progress']}]", "dim"),
                f"\n      {entry['reason']}\n      closest: {closest}",
            )
        )
    console.print(f"{len(listed)} open conflict(s); decide them with `audible-tracker review`")


def _check_account(conn: Any, account: str | None) -> None:
    from resources.queries import accounts as accounts_sql

    configured = sorted(accounts_sql.account_sources(conn))
    if account and account not in configured:
        known = ", ".join(configured) or "none yet"
        raise ReviewError(f"no Audible account named {account!r} (accounts: {known})")


def run_review(
    args: argparse.Namespace,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    from resources import postgres
    from resources.queries import books as books_sql
    from resources.queries import conflicts as cq

    console = Console(file=stdout or sys.stdout, highlight=False, soft_wrap=True)
    err = stderr or sys.stderr
    if args.json and not args.list:
        print("error: --json goes with --list", file=err)
        return EXIT_USAGE
    engine = postgres.get_engine()
    try:
        with engine.connect() as conn:
            _check_account(conn, args.account)
            conflicts = cq.open_conflicts(conn, args.account)
            unmatched = cq.unmapped_titles(conn, args.account) if args.unmatched and not args.list else []
            entries = conflict_entries(conflicts) + unmatched_entries(
                unmatched, lambda ids: books_sql.get_books(conn, ids)
            )
    except ReviewError as error:
        print(f"error: {error}", file=err)
        return EXIT_ERROR
    if args.list:
        listed = _listing(conflicts)
        if args.json:
            (stdout or sys.stdout).write(json.dumps(listed, indent=2, ensure_ascii=False, default=str) + "\n")
        else:
            _print_list(console, listed)
        return EXIT_OK
    if not entries:
        console.print(
            "Nothing to review: no open conflict" + (" and no unmatched title." if args.unmatched else ".")
        )
        return EXIT_OK
    answers = Answers(stdin or sys.stdin, console)
    console.print(Text(ANSWER_HELP, style="dim"))
    session = Session(entries, engine, console, answers)
    try:
        with answers.keys():
            counts = session.run()
    except KeyboardInterrupt:
        counts = session.tally()
        console.print()
    console.print(
        Text(
            f"Reviewed: {counts['linked']} linked, {counts['created']} created, {counts['ignored']} ignored, "
            f"{counts['skipped']} skipped, {counts['left']} left",
            style="bold",
        )
    )
    return EXIT_OK


def add_review_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "review",
        help="decide open conflicts one key at a time (link, create, ignore, search, undo)",
        description=(
            "Walk the open conflicts (then, with --unmatched, the titles no tracker book matched), one screen "
            "and one key per title. Each decision is written at once; `u` takes the last one back."
        ),
        epilog=f"answers: {ANSWER_HELP}. When standard input is not a terminal, one answer per line.",
    )
    parser.add_argument("--account", help="only this Audible account's titles (default: every account)")
    parser.add_argument(
        "--unmatched", action="store_true", help="after the conflicts, the titles no tracker book matched"
    )
    parser.add_argument(
        "--list", action="store_true", help="print the open conflicts without asking anything"
    )
    parser.add_argument("--json", action="store_true", help="with --list: a JSON array")
    parser.set_defaults(func=run_review)
    return parser
