"""One line per expected failure, for every command and for the sync job's console log.

An expected failure is one a person can fix: the database cannot be reached or
refuses the login, a library file is unreadable, credentials are missing, the
tracker's schema does not fit, the rate limit says no. Each becomes one line
that says what happened and what to do; a traceback is for the unexpected, and
only on request (``--debug``).

The same rules read a live exception (a command) and Dagster's serialized error
(a step that failed in a run), so a failure reads the same in both places. A
database password never appears: lines name the host, port, database and user
from the URL, and quote only the server's own reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DATABASE_URL_ENV = "AUDIBLE_TRACKER_DATABASE_URL"
HOME_ENV = "AUDIBLE_TRACKER_HOME"

# Errors whose message was written for people (it names the record, account or file and
# the next step): the message is the line. Listed by class name, because a step's
# failure reaches the console as Dagster's serialized error, not as the exception.
PEOPLE_FACING = frozenset(
    {
        "Failure",
        "SyncRefused",
        "LibraryShapeError",
        "LibraryItemError",
        "ExportFormatError",
        "NoLibrarySource",
        "AudibleSourceError",
        "AudibleAuthMissing",
        "CipherError",
        "EncryptionKeyMissing",
        "EncryptionKeyInvalid",
        "DecryptionFailed",
        "SettingError",
        "AccountChoiceError",
        "ReviewError",
        "CliError",
        "InputError",
    }
)
_DRIVER_ERRORS = frozenset(
    {"OperationalError", "InterfaceError", "DatabaseError", "ProgrammingError", "InternalError"}
)
_UNREACHABLE = (
    "connection refused",
    "could not translate host name",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no route to host",
    "network is unreachable",
    "timeout expired",
    "timed out",
    "could not connect",
    "no such file or directory",  # a unix socket path with no server behind it
)
_QUALIFIED_PREFIX = re.compile(
    r"^[A-Za-z_][\w.]*(Error|Exception|Failure|Warning|Refused|Missing|Failed|Source)\b: "
)
# A schema problem on a tracker table, as PostgreSQL words it ('column "x" of relation "books"…').
_TRACKER_TABLE = re.compile(r'(relation|table) "(public\.)?books"')
_DRIVER_PREFIX = re.compile(r"^\((?:psycopg2?|sqlalchemy)[\w.]*\)\s*")


@dataclass(frozen=True)
class ErrorLink:
    """One exception of a chain: its class names (most derived first) and its message."""

    class_names: tuple[str, ...]
    message: str
    sqlstate: str | None = None

    def is_a(self, names: frozenset[str] | set[str]) -> bool:
        return any(name in names for name in self.class_names)


def _clean_message(message: str) -> str:
    text = _QUALIFIED_PREFIX.sub("", message.strip(), count=1)
    text = _DRIVER_PREFIX.sub("", text, count=1)
    # SQLAlchemy appends the statement, its parameters and a link: none of them is for people,
    # and the parameters may hold data that must not be printed.
    for marker in ("\n[SQL:", "\n[parameters:", "\n(Background on this error"):
        text = text.split(marker, 1)[0]
    return text.strip()


def links_from_exception(error: BaseException) -> list[ErrorLink]:
    """The exception, then what caused it, as links (SQLAlchemy's driver error included)."""
    links: list[ErrorLink] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(links) < 10:
        seen.add(id(current))
        names = tuple(cls.__name__ for cls in type(current).__mro__)
        message = getattr(current, "description", None) if "Failure" in names else None
        links.append(ErrorLink(names, _clean_message(message or str(current)), _sqlstate(current)))
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return links


def _sqlstate(error: BaseException) -> str | None:
    state = getattr(error, "sqlstate", None) or getattr(getattr(error, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def links_from_error_info(info: Any) -> list[ErrorLink]:
    """Links from Dagster's SerializableErrorInfo (cls_name, message, cause, context)."""
    links: list[ErrorLink] = []
    current = info
    while current is not None and len(links) < 10:
        links.append(ErrorLink((current.cls_name or "",), _clean_message(current.message or "")))
        current = current.cause or current.context
    return links


@dataclass(frozen=True)
class DatabaseTarget:
    """Where the tracker database is, as safe to print: never the password."""

    host: str | None
    port: int | None
    database: str | None
    user: str | None
    embedded: bool

    @property
    def where(self) -> str:
        if self.embedded:
            return f"the embedded PostgreSQL under {os.environ.get(HOME_ENV) or '~/.audible-tracker'}"
        return f"PostgreSQL at {self.host or 'localhost'}:{self.port or 5432}"


def database_target(database_url: str | None = None) -> DatabaseTarget:
    url = database_url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        return DatabaseTarget(None, None, None, None, embedded=True)
    try:
        import sqlalchemy as sa

        parsed = sa.make_url(url)
        return DatabaseTarget(parsed.host, parsed.port, parsed.database, parsed.username, embedded=False)
    except Exception:
        return DatabaseTarget(None, None, None, None, embedded=False)


def _server_reason(message: str) -> str:
    """The server's or the driver's own reason (and its DETAIL line), without the connection preamble."""
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    if "failed: " in first:
        first = first.rsplit("failed: ", 1)[1]
    reason = first.strip().rstrip(".")[:200]
    detail = next((line.split(":", 1)[1].strip() for line in lines[1:] if line.startswith("DETAIL:")), "")
    return f"{reason} ({detail.rstrip('.')[:200]})" if detail else reason


def _login_or_database_line(text: str, target: DatabaseTarget, database: str) -> str | None:
    where, env = target.where, DATABASE_URL_ENV
    if "password authentication failed" in text or ("role" in text and "does not exist" in text):
        user = f"user {target.user!r}" if target.user else "the user"
        return (
            f"{where} refused the login of {user} to {database}: wrong user name or password; "
            f"fix the user and password in {env}"
        )
    if "database" in text and "does not exist" in text:
        return (
            f"{where} has no {database}; create it (createdb {target.database or 'NAME'}) "
            f"or point {env} at an existing database"
        )
    return None


def _database_line(link: ErrorLink, target: DatabaseTarget) -> str | None:
    text = link.message.lower()
    where, env = target.where, DATABASE_URL_ENV
    database = f"database {target.database!r}" if target.database else "the database"
    line = _login_or_database_line(text, target, database)
    if line:
        return line
    reason = _server_reason(link.message)
    if any(marker in text for marker in _UNREACHABLE):
        return f"cannot reach {where} ({database}): {reason}; is the server running, and is {env} right?"
    if link.sqlstate == "42501" or "permission denied" in text:
        user = f"user {target.user!r}" if target.user else "the database user"
        return f"{where}: {user} may not do what the sync needs ({reason}); grant it, or use another user in {env}"
    if (link.sqlstate or "").startswith("42") or _TRACKER_TABLE.search(link.message):
        return (
            f"the tracker's tables in {database} ({where}) do not fit the sync: {reason}; "
            "`audible-tracker tracker check` lists what to change"
        )
    return None


def _url_line(link: ErrorLink) -> str | None:
    if link.is_a({"ArgumentError"}) and "url" in link.message.lower():
        # SQLAlchemy quotes the whole URL, password included: never repeat it.
        return f"{DATABASE_URL_ENV} is not a valid URL; use postgresql://user:password@host:5432/dbname"
    if link.message.startswith(f"{DATABASE_URL_ENV} must be"):
        return link.message
    return None


def failure_line(links: Sequence[ErrorLink], database_url: str | None = None) -> str | None:
    """The one line for an expected failure, or None when the failure was not expected."""
    for link in links:
        if link.is_a(PEOPLE_FACING) and link.message:
            return " ".join(link.message.split())
        line = _url_line(link)
        if line:
            return line
        if link.is_a(_DRIVER_ERRORS):
            line = _database_line(link, database_target(database_url))
            if line:
                return line
    return None


def exception_line(error: BaseException, database_url: str | None = None) -> str | None:
    return failure_line(links_from_exception(error), database_url)


def error_info_line(info: Any, database_url: str | None = None) -> str | None:
    return failure_line(links_from_error_info(info), database_url) if info is not None else None


def unexpected_line(links: Sequence[ErrorLink]) -> str:
    """A last-resort line for an unexpected failure: the innermost error, first line, bounded."""
    innermost = links[-1] if links else ErrorLink(("Error",), "")
    message = innermost.message.splitlines()[0][:300] if innermost.message else ""
    name = innermost.class_names[0] if innermost.class_names else "Error"
    return f"unexpected {name}: {message}" if message else f"unexpected {name}"
