"""The reader's tracker as the sync sees it: its books columns and their types, the words it uses
for each reading state, the scale of its progress, and what stops the sync or book creation.

Pure: no Dagster or database import. ``resources.queries.tracker_profile`` reads the facts from
the database; `audible-tracker tracker check`, the sync and book creation all judge them here, so
a tracker is accepted or refused the same way wherever it is looked at. Every problem is one line
that names the column, what was found, what is supported and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# The reading states the sync knows, by their role; each tracker names them with its own words.
TO_READ, READING, FINISHED, DNF = "to_read", "reading", "finished", "dnf"
ROLES = (TO_READ, READING, FINISHED, DNF)
DEFAULT_WORDS = {role: role for role in ROLES}
PERCENT, FRACTION = "percent", "fraction"
SCALES = (PERCENT, FRACTION)

# `tracker set KEY VALUE` keys → audible_tracker_profile columns.
SETTING_COLUMNS = {
    "status.to_read": "status_to_read",
    "status.reading": "status_reading",
    "status.finished": "status_finished",
    "status.dnf": "status_dnf",
    "progress_scale": "progress_scale",
}
SETTING_HELP = {
    "status.to_read": "the word for a book not started (written when a book is created)",
    "status.reading": "the word for a book being read (written when Audible shows listening)",
    "status.finished": "the word for a finished book (written when Audible shows it finished)",
    "status.dnf": "the word for a book given up on (read only: the sync keeps that verdict)",
    "progress_scale": "percent (progress_percent holds 0–100) or fraction (0–1)",
}

TEXT_TYPES = ("text", "character varying")
ID_TYPES = ("integer", "bigint", "uuid")
PROGRESS_TYPES = ("numeric", "real", "double precision", "integer")
DATE_TYPES = ("date", "timestamp without time zone", "timestamp with time zone")

# Words other trackers use for the four states (Goodreads, StoryGraph, Calibre, BookWyrm…),
# compared folded: used only to suggest the `tracker set` commands, never to write.
_KNOWN_WORDS = {
    TO_READ: {
        "to read",
        "want to read",
        "wishlist",
        "planned",
        "plan to read",
        "tbr",
        "unread",
        "not started",
    },
    READING: {"currently reading", "reading", "in progress", "started", "listening", "now reading"},
    FINISHED: {"read", "finished", "completed", "complete", "done"},
    DNF: {"did not finish", "dnf", "abandoned", "gave up", "dropped", "stopped", "unfinished"},
}


def _fold(word: str) -> str:
    return " ".join(re.sub(r"[-_]+", " ", word.casefold()).split())


class TrackerSettingError(ValueError):
    """A `tracker set` key or value was refused; the message names the key and what it allows."""


class TrackerIncompatible(ValueError):
    """The tracker cannot be synced (or a book cannot be created) as it is; the message says why and how to fix it."""


@dataclass(frozen=True)
class TrackerSettings:
    """What a person configured (None: not configured, the default applies)."""

    status_to_read: str | None = None
    status_reading: str | None = None
    status_finished: str | None = None
    status_dnf: str | None = None
    progress_scale: str | None = None
    updated_at: Any = None
    updated_by: str | None = None

    def configured(self, key: str) -> str | None:
        return getattr(self, SETTING_COLUMNS[key])

    @property
    def any_status_configured(self) -> bool:
        return any(self.configured(f"status.{role}") for role in ROLES)

    @property
    def words(self) -> dict[str, str]:
        """role → the word the sync writes and reads for it."""
        return {role: self.configured(f"status.{role}") or DEFAULT_WORDS[role] for role in ROLES}

    @property
    def scale(self) -> str:
        return self.progress_scale or PERCENT

    def role_of(self, word: str | None) -> str | None:
        """The role a stored status word stands for, or None for a word (or NULL) outside the set."""
        for role, known in self.words.items():
            if word == known:
                return role
        return None


def parse_setting(key: str, value: str) -> tuple[str, str]:
    """(column, value) for `tracker set KEY VALUE`, validated; TrackerSettingError otherwise."""
    name = key.strip().lower().replace("-", "_")
    if name.startswith("status_") and f"status.{name[7:]}" in SETTING_COLUMNS:
        name = f"status.{name[7:]}"
    if name not in SETTING_COLUMNS:
        raise TrackerSettingError(
            f"unknown tracker setting {key!r}; the settings are: {', '.join(SETTING_COLUMNS)}"
        )
    text = " ".join(str(value).split())
    if name == "progress_scale":
        if text.lower() not in SCALES:
            raise TrackerSettingError(
                f"progress_scale must be percent (0–100) or fraction (0–1); got {value!r}"
            )
        return SETTING_COLUMNS[name], text.lower()
    if not text:
        raise TrackerSettingError(
            f"{name} must be a word your tracker uses, e.g. to-read; got an empty value"
        )
    if len(text) > 100:
        raise TrackerSettingError(f"{name} must be at most 100 characters; got {len(text)}")
    return SETTING_COLUMNS[name], text


def validate_settings(settings: TrackerSettings) -> None:
    """Two states may not share one word: the sync could not tell them apart when reading."""
    seen: dict[str, str] = {}
    for role, word in settings.words.items():
        if word in seen:
            raise TrackerSettingError(
                f"status.{role} and status.{seen[word]} would both be {word!r}; give each state its own word"
            )
        seen[word] = role


# --- the books table as found ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(), e.g. "numeric(5,2)", "character varying(40)", "uuid"
    not_null: bool = False
    has_default: bool = False  # a default expression or an identity

    @property
    def base_type(self) -> str:
        """The type without its modifier: "numeric(5,2)" → "numeric", "timestamp(3) with time zone" → …"""
        return re.sub(r"\(\d+(,\d+)?\)", "", self.type).replace("  ", " ").strip()

    @property
    def numeric_digits(self) -> tuple[int, int] | None:
        """(precision, scale) of a numeric(p,s) column, None when unbounded or not numeric."""
        found = re.fullmatch(r"numeric\((\d+)(?:,(\d+))?\)", self.type)
        return (int(found.group(1)), int(found.group(2) or 0)) if found else None


@dataclass(frozen=True)
class ProgressStats:
    """What the progress column holds: how many values, the largest, how many are not whole numbers."""

    values: int = 0
    largest: Decimal | None = None
    fractional: int = 0


@dataclass(frozen=True)
class TrackerShape:
    """The books table as found, before or after the migrations (nothing here is written)."""

    exists: bool
    created_by_project: bool | None = None  # None: not recorded yet (no migration has run)
    columns: Mapping[str, Column] = field(default_factory=dict)
    id_unique: bool = True
    words_in_use: tuple[tuple[str | None, int], ...] | None = None  # None: not read
    progress: ProgressStats | None = None  # None: not read


# Columns the migrations add when missing, and the type they add them with.
ADDED_COLUMNS = {
    "author": "text",
    "isbn": "text",
    "status": "text",
    "progress_percent": "numeric(5,2)",
    "started_at": "timestamp with time zone",
    "finished_at": "timestamp with time zone",
    "updated_at": "timestamp with time zone",
}
# What the sync does with each column, in the order `tracker check` shows them.
COLUMN_USE = {
    "id": "read (links refer to it)",
    "title": "read (matching)",
    "author": "read (matching)",
    "isbn": "read (matching)",
    "status": "read and written",
    "progress_percent": "read and written",
    "started_at": "read and written",
    "finished_at": "read and written",
    "updated_at": "written when a book changes",
}
_ACCEPTED = {
    "id": ID_TYPES,
    "title": TEXT_TYPES,
    "author": TEXT_TYPES,
    "isbn": TEXT_TYPES,
    "status": TEXT_TYPES,
    "progress_percent": PROGRESS_TYPES,
    "started_at": DATE_TYPES,
    "finished_at": DATE_TYPES,
}
_READABLE = {
    TEXT_TYPES: "text or varchar",
    ID_TYPES: "integer, bigint or uuid",
    PROGRESS_TYPES: "numeric, real, double precision or integer",
    DATE_TYPES: "date, timestamp or timestamptz",
}
_CONVERT_TO = {TEXT_TYPES: "text", PROGRESS_TYPES: "numeric", DATE_TYPES: "date"}


@dataclass(frozen=True)
class Problem:
    """One incompatibility: ``blocks`` is "sync" (nothing can be synced) or "create" (books cannot be created)."""

    blocks: str
    text: str


def _type_problem(column: Column) -> Problem | None:
    accepted = _ACCEPTED.get(column.name)
    if accepted is None or column.base_type in accepted:
        return None
    readable = _READABLE[accepted]
    if column.name == "id":
        fix = "the audible_* tables refer to books by id; give books an integer, bigint or uuid id column"
    else:
        target = _CONVERT_TO[accepted]
        fix = f"ALTER TABLE books ALTER COLUMN {column.name} TYPE {target} USING {column.name}::{target}"
    return Problem(
        "sync", f"books.{column.name} is {column.type}; the sync supports {readable} there. Fix: {fix}"
    )


def inferred_scale(shape: TrackerShape) -> str | None:
    """percent or fraction as the stored values suggest, None when they cannot tell (none, or only 0 and 1)."""
    column = shape.columns.get("progress_percent")
    stats = shape.progress
    if column is None or stats is None or not stats.values or stats.largest is None:
        return None
    if column.base_type == "integer" or stats.largest > 1:
        return PERCENT
    return FRACTION if stats.fractional else None


def unknown_words(shape: TrackerShape, settings: TrackerSettings) -> list[tuple[str, int]]:
    known = set(settings.words.values())
    return [(word, n) for word, n in shape.words_in_use or () if word is not None and word not in known]


def suggested_settings(words: Sequence[str]) -> list[tuple[str, str]]:
    """(key, word) pairs for the words a tracker uses, where a word is recognisably one of the states."""
    suggestions = []
    for role in ROLES:
        for word in words:
            if _fold(word) in _KNOWN_WORDS[role] and word != DEFAULT_WORDS[role]:
                suggestions.append((f"status.{role}", word))
                break
    return suggestions


def _shell_word(word: str) -> str:
    return word if re.fullmatch(r"[\w.@%+=:,/-]+", word) else "'" + word.replace("'", "'\\''") + "'"


def set_commands(suggestions: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"audible-tracker tracker set {key} {_shell_word(word)}" for key, word in suggestions)


def _word_length_problem(shape: TrackerShape, settings: TrackerSettings) -> Problem | None:
    column = shape.columns.get("status")
    found = re.fullmatch(r"character varying\((\d+)\)", column.type) if column else None
    too_long = [w for w in settings.words.values() if found and len(w) > int(found.group(1))]
    if not too_long:
        return None
    return Problem(
        "sync",
        f"books.status is {column.type}, too short for the status word(s) {', '.join(map(repr, too_long))}. "
        "Fix: audible-tracker tracker set status.<state> <a shorter word your tracker uses>",
    )


def _words_problem(shape: TrackerShape, settings: TrackerSettings) -> Problem | None:
    unknown = unknown_words(shape, settings)
    if not unknown or settings.any_status_configured:
        return None
    found = ", ".join(f"{word!r} ({n})" for word, n in unknown)
    suggestions = suggested_settings([word for word, _ in shape.words_in_use or () if word is not None])
    roles_named = {key for key, _ in suggestions}
    for role in (READING, FINISHED):
        if f"status.{role}" not in roles_named and settings.words[role] not in dict(shape.words_in_use or ()):
            suggestions.append((f"status.{role}", "WORD"))
    return Problem(
        "sync",
        f"books.status holds words the sync does not know: {found}, and no status words are configured, "
        f"so it would write {', '.join(settings.words[r] for r in (READING, FINISHED))} into your tracker. "
        f"Fix: {set_commands(suggestions) or 'audible-tracker tracker set status.finished WORD'} "
        "(or the update_tracker_profile job)",
    )


def _scale_problems(shape: TrackerShape, settings: TrackerSettings) -> list[Problem]:
    column = shape.columns.get("progress_percent")
    if column is None or column.base_type not in PROGRESS_TYPES:
        return []
    problems = []
    if column.base_type == "integer" and settings.scale == FRACTION:
        problems.append(
            Problem(
                "sync",
                "books.progress_percent is integer, which cannot hold fractions, but progress_scale is "
                "fraction. Fix: audible-tracker tracker set progress_scale percent",
            )
        )
    digits = column.numeric_digits
    needed = 3 if settings.scale == PERCENT else 1
    if digits and digits[0] - digits[1] < needed:
        problems.append(
            Problem(
                "sync",
                f"books.progress_percent is {column.type}, too small for {settings.scale} values up to "
                f"{'100' if settings.scale == PERCENT else '1'}. Fix: ALTER TABLE books ALTER COLUMN "
                f"progress_percent TYPE numeric({digits[1] + needed},{digits[1]}), or set progress_scale",
            )
        )
    inferred = inferred_scale(shape)
    if settings.progress_scale is None and inferred == FRACTION:
        stats = shape.progress
        problems.append(
            Problem(
                "sync",
                f"books.progress_percent holds fractions (all {stats.values} values between 0 and 1, the "
                f"largest {stats.largest}) but progress_scale is not set, so the sync would write 0–100. "
                "Fix: audible-tracker tracker set progress_scale fraction (or percent if 0–100 is right)",
            )
        )
    return problems


def _id_problems(shape: TrackerShape) -> list[Problem]:
    column = shape.columns.get("id")
    if column is None:
        return [
            Problem(
                "sync",
                "books has no id column; the audible_* tables refer to books by id. Fix: "
                "ALTER TABLE books ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            )
        ]
    problems = []
    if not shape.id_unique:
        problems.append(
            Problem(
                "sync",
                "books.id is neither the primary key nor unique; the audible_* tables refer to it. "
                "Fix: ALTER TABLE books ADD PRIMARY KEY (id)",
            )
        )
    if column.base_type in ID_TYPES and not column.has_default:
        problems.append(Problem("create", id_default_refusal(column.base_type)))
    return problems


def id_default_refusal(id_type: str) -> str:
    """Why a book cannot be created on an id without a default, and the ALTER TABLE that gives it one."""
    if id_type == "uuid":
        fix = "ALTER TABLE books ALTER COLUMN id SET DEFAULT gen_random_uuid()"
    else:
        fix = (
            "ALTER TABLE books ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY; "
            "SELECT setval(pg_get_serial_sequence('books', 'id'), (SELECT max(id) FROM books))"
        )
    return (
        f"books.id ({id_type}) has no default, so a new book would need a guessed id and none is created. "
        f"Fix: {fix}"
    )


def _creation_problems(shape: TrackerShape) -> list[Problem]:
    filled = {"id", "title", "author", "isbn", "status"}
    return [
        Problem(
            "create",
            f"books.{c.name} is NOT NULL without a default, and a book the sync creates has no value for it. "
            f"Fix: ALTER TABLE books ALTER COLUMN {c.name} SET DEFAULT <value>",
        )
        for c in shape.columns.values()
        if c.not_null and not c.has_default and c.name not in filled
    ]


def problems(shape: TrackerShape, settings: TrackerSettings) -> list[Problem]:
    """Every incompatibility of the tracker with the sync, sync blockers first."""
    if not shape.exists:
        return []
    found: list[Problem] = []
    if "title" not in shape.columns:
        found.append(
            Problem(
                "sync",
                "books has no title column; matching reads it. Fix: ALTER TABLE books ADD COLUMN title text",
            )
        )
    found += _id_problems(shape)
    found += [p for p in (_type_problem(c) for c in shape.columns.values()) if p]
    found += _scale_problems(shape, settings)
    found += [p for p in (_words_problem(shape, settings), _word_length_problem(shape, settings)) if p]
    found += _creation_problems(shape)
    return sorted(found, key=lambda p: p.blocks != "sync")


def sync_blockers(shape: TrackerShape, settings: TrackerSettings) -> list[str]:
    return [p.text for p in problems(shape, settings) if p.blocks == "sync"]


def refusal_text(shape: TrackerShape, settings: TrackerSettings) -> str | None:
    """One line saying why the sync cannot write to this tracker, or None when it can."""
    blockers = sync_blockers(shape, settings)
    if not blockers:
        return None
    return (
        "the tracker's books table is not ready for the sync: "
        + " | ".join(blockers)
        + ". Nothing was written."
    )


# --- from stored values to the rules' terms and back ----------------------------------------


@dataclass(frozen=True)
class TrackerProfile:
    """Everything the write phase needs to read and write books the tracker's way."""

    settings: TrackerSettings
    shape: TrackerShape

    def column_type(self, name: str) -> str | None:
        column = self.shape.columns.get(name)
        return column.base_type if column else None

    def refusal(self) -> str | None:
        """One line saying why the sync cannot write to this tracker, or None when it can."""
        return refusal_text(self.shape, self.settings)

    @property
    def writes_updated_at(self) -> bool:
        return self.column_type("updated_at") in DATE_TYPES

    def percent_of(self, stored: Any) -> Decimal | None:
        """A stored progress value as a percent (0–100)."""
        if stored is None:
            return None
        value = Decimal(str(stored))
        return value * 100 if self.settings.scale == FRACTION else value

    def stored_progress(self, percent: Decimal | None) -> Decimal | None:
        """A percent as the progress column stores it: scaled, and rounded to what the column keeps."""
        if percent is None:
            return None
        value = percent / 100 if self.settings.scale == FRACTION else percent
        column = self.shape.columns.get("progress_percent")
        if column is not None and column.base_type == "integer":
            return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        digits = column.numeric_digits if column is not None else None
        if digits is not None:
            return value.quantize(Decimal(1).scaleb(-digits[1]), rounding=ROUND_HALF_UP)
        return value


def instant(value: Any, tz: timezone) -> datetime | None:
    """A stored date, timestamp or timestamptz as an aware datetime (dates at local midnight)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    raise TypeError(f"not a date or timestamp: {value!r}")


def stored_instant(moment: datetime | None, column_type: str | None, tz: timezone) -> Any:
    """An aware datetime as a date / timestamp / timestamptz column holds it."""
    if moment is None:
        return None
    local = moment.astimezone(tz)
    if column_type == "date":
        return local.date()
    if column_type == "timestamp without time zone":
        return local.replace(tzinfo=None)
    return moment


# --- what `tracker check` and `tracker show` print --------------------------------------------


def _column_note(shape: TrackerShape, name: str) -> str:
    column = shape.columns.get(name)
    if column is None:
        added = ADDED_COLUMNS.get(name)
        return f"absent: the first sync adds it ({added}, nullable)" if added else "absent"
    notes = []
    if name == "progress_percent" and column.base_type == "integer":
        notes.append("rounded to whole numbers")
    if name == "updated_at" and column.base_type not in DATE_TYPES:
        notes.append("not a date or timestamp: left alone")
    return "; ".join(notes)


def check_summary(shape: TrackerShape, settings: TrackerSettings) -> dict[str, Any]:
    """What `tracker check --json` prints: the findings and every problem, with whether the sync can run."""
    found = problems(shape, settings)
    return {
        "books_table": (
            "absent"
            if not shape.exists
            else "created by this project"
            if shape.created_by_project
            else "another app's"
        ),
        "columns": {
            name: {
                "type": shape.columns[name].type if name in shape.columns else None,
                "use": use,
                "note": _column_note(shape, name),
            }
            for name, use in COLUMN_USE.items()
        },
        "id_type": shape.columns["id"].type if "id" in shape.columns else None,
        "status_words_in_use": [{"word": w, "books": n} for w, n in shape.words_in_use or ()],
        "status_words": settings.words,
        "status_words_configured": settings.any_status_configured,
        "progress_scale": settings.scale,
        "progress_scale_configured": settings.progress_scale is not None,
        "progress_scale_inferred": inferred_scale(shape),
        "problems": [{"blocks": p.blocks, "text": p.text} for p in found],
        "sync_can_run": shape.exists is False or not any(p.blocks == "sync" for p in found),
    }


def _words_line(shape: TrackerShape) -> str:
    if not shape.exists or shape.words_in_use is None:
        return "none (no status column yet)" if shape.exists else "none (no books table yet)"
    if not shape.words_in_use:
        return "none (no books yet)"
    return ", ".join(f"{'(no status)' if w is None else repr(w)} {n}" for w, n in shape.words_in_use)


def _scale_line(shape: TrackerShape, settings: TrackerSettings) -> str:
    readable = {PERCENT: "percent (0–100)", FRACTION: "fraction (0–1)"}
    inferred = inferred_scale(shape)
    stats = shape.progress
    if stats and stats.values:
        values = f"{stats.values} value{'s' if stats.values != 1 else ''}"
        seen = f"{values}, largest {stats.largest}: looks like {readable[inferred] if inferred else 'either'}"
    elif "progress_percent" not in shape.columns:
        seen = "no progress column yet"
    elif stats is None:
        seen = "not read (the column's type is not supported)"
    else:
        seen = "no progress values yet"
    source = "configured" if settings.progress_scale else "default"
    return f"{readable[settings.scale]} ({source}); in the table: {seen}"


def check_lines(shape: TrackerShape, settings: TrackerSettings, where: str) -> list[str]:
    """The report of `audible-tracker tracker check`, line by line."""
    summary = check_summary(shape, settings)
    lines = [f"Tracker: the books table in {where}"]
    if not shape.exists:
        lines.append("  No books table yet: the first sync creates the project's own (with its rules).")
        lines.append("The sync can run.")
        return lines
    owner = (
        "created by this project (it keeps the project's rules)"
        if shape.created_by_project
        else "another app's: the sync adds no rules to it, only missing nullable columns"
    )
    lines += [f"  Owner: {owner}", "", "Columns the sync uses:"]
    for name, info in summary["columns"].items():
        note = f"  [{info['note']}]" if info["note"] else ""
        lines.append(f"  {name:<17} {info['type'] or '-':<28} {info['use']}{note}")
    configured = "configured" if settings.any_status_configured else "defaults, none configured"
    words = ", ".join(f"{role} = {word!r}" for role, word in settings.words.items())
    lines += [
        "",
        f"Book id type: {summary['id_type'] or '-'}",
        f"Status words in use: {_words_line(shape)}",
        f"Status words of the sync: {words} ({configured})",
        f"Progress scale: {_scale_line(shape, settings)}",
        "",
    ]
    found = summary["problems"]
    if found:
        lines.append(f"Incompatibilities ({len(found)}):")
        lines += [
            f"  {'sync blocked' if p['blocks'] == 'sync' else 'cannot create books'}: {p['text']}"
            for p in found
        ]
        lines.append("")
    if summary["sync_can_run"]:
        lines.append(
            "The sync can run."
            + (" Books cannot be created until the lines above are fixed." if found else "")
        )
    else:
        lines.append("The sync cannot run until the 'sync blocked' lines are fixed; nothing was written.")
    return lines


def settings_lines(settings: TrackerSettings) -> list[str]:
    """The stored profile, one setting a line, as `audible-tracker tracker show` prints it."""
    effective = {**{f"status.{r}": w for r, w in settings.words.items()}, "progress_scale": settings.scale}
    lines = []
    for key in SETTING_COLUMNS:
        origin = "configured" if settings.configured(key) else "default"
        lines.append(f"  {key:<16} {effective[key]!r:<22} ({origin}) {SETTING_HELP[key]}")
    return lines
