"""SQL of the tracker's books: what the matcher reads, the demo seed, and books a person creates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from domain.new_books import NewBook
from domain.review import ReviewError
from domain.tracker_profile import id_default_refusal
from resources.queries import tracker_profile as tracker_profile_sql


def tracker_books(conn: sa.Connection) -> list[tuple[int, str, str | None, str | None]]:
    """(id, title, author, isbn) of every tracker book, as plain tuples.

    Read on the driver's cursor: for 100,000 books SQLAlchemy's Row objects cost
    more than the query itself.
    """
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT id, title, author, isbn FROM books ORDER BY id")
        return cursor.fetchall()


def count_books(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM books")).scalar_one()


def created_by_project(conn: sa.Connection) -> bool:
    """Whether the books table is the project's own (created by the migrations), not another app's."""
    return bool(conn.execute(sa.text("SELECT books_created_by_project FROM audible_tracker_meta")).scalar())


def seed_books(conn: sa.Connection, books: Sequence[dict[str, Any]]) -> int:
    """Insert the given books when the tracker is empty and is the project's own (the demo's tracker).

    Another app's books table never receives demo books, nor has its id sequence moved.
    """
    if not created_by_project(conn) or count_books(conn):
        return 0
    conn.execute(
        sa.text(
            "INSERT INTO books (id, title, author, isbn, status) "
            "VALUES (:id, :title, :author, :isbn, :status)"
        ),
        list(books),
    )
    # Keep the identity ahead of the explicit ids, so books added later get fresh ones.
    conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('books', 'id'), (SELECT max(id) FROM books))"))
    return len(books)


def get_book(conn: sa.Connection, book_id: int) -> Any:
    return conn.execute(
        sa.text("SELECT id, title, author, status FROM books WHERE id = :id"), {"id": book_id}
    ).one_or_none()


def creation_refusal(conn: sa.Connection) -> str | None:
    """One line saying why no book can be created in this tracker, or None when one can.

    An id is never guessed: a tracker that gives new rows no id (its app hands them out) gets
    no book from here.
    """
    profile = tracker_profile_sql.load_profile(conn)
    id_column = profile.shape.columns.get("id")
    if id_column is not None and not id_column.has_default:
        return id_default_refusal(id_column.base_type)
    return profile.refusal()


def create_book(conn: sa.Connection, book: NewBook) -> Any:
    """Insert a tracker book and return its id, with the status in the tracker's own word.

    Refused (ReviewError, nothing written) when creation_refusal says why it cannot be done.
    """
    refusal = creation_refusal(conn)
    if refusal:
        raise ReviewError(refusal)
    status = tracker_profile_sql.load_profile(conn).settings.words.get(book.status, book.status)
    return conn.execute(
        sa.text(
            "INSERT INTO books (title, author, isbn, status) VALUES (:title, :author, :isbn, :status) RETURNING id"
        ),
        {"title": book.title, "author": book.author, "isbn": book.isbn, "status": status},
    ).scalar_one()


def book_finish_dates(conn: sa.Connection, book_ids: list[int]) -> dict[int, Any]:
    if not book_ids:
        return {}
    rows = conn.execute(
        sa.text("SELECT id, author, finished_at FROM books WHERE id = ANY(:ids)"), {"ids": list(book_ids)}
    )
    return {row.id: {"author": row.author, "finished_at": row.finished_at} for row in rows}


def get_books(conn: sa.Connection, book_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = conn.execute(
        sa.text("SELECT id, title, author FROM books WHERE id = ANY(:ids)"), {"ids": list(book_ids)}
    )
    return {row.id: dict(row._mapping) for row in rows}


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_books(conn: sa.Connection, terms: Sequence[str], limit: int = 200) -> list[dict[str, Any]]:
    """Books whose title or author contains every term (case-insensitive), at most ``limit``."""
    if not terms:
        return []
    where = " AND ".join(
        f"(title ILIKE :t{i} OR coalesce(author, '') ILIKE :t{i})" for i in range(len(terms))
    )
    rows = conn.execute(
        sa.text(f"SELECT id, title, author FROM books WHERE {where} ORDER BY id LIMIT :limit"),
        {**{f"t{i}": _like(term) for i, term in enumerate(terms)}, "limit": limit},
    )
    return [dict(row._mapping) for row in rows]


_PROGRESS_COLUMNS = ("progress_percent", "status", "started_at", "finished_at")


def progress_state(conn: sa.Connection, book_id: int) -> dict[str, Any] | None:
    """What the sync writes on a book (progress, status, dates), to put back on an undo."""
    row = conn.execute(
        sa.text(f"SELECT {', '.join(_PROGRESS_COLUMNS)} FROM books WHERE id = :id"), {"id": book_id}
    ).one_or_none()
    return dict(row._mapping) if row else None


def restore_progress(
    conn: sa.Connection, book_id: int, before: dict[str, Any], expected: dict[str, Any]
) -> bool:
    """Put ``before`` back, only while the book still holds ``expected`` (nobody changed it since)."""
    current = conn.execute(
        sa.text(f"SELECT {', '.join(_PROGRESS_COLUMNS)} FROM books WHERE id = :id FOR UPDATE"),
        {"id": book_id},
    ).one_or_none()
    if current is None or dict(current._mapping) != expected:
        return False
    conn.execute(
        sa.text(
            "UPDATE books SET "
            + ", ".join(f"{c} = :{c}" for c in _PROGRESS_COLUMNS)
            + ", updated_at = now() WHERE id = :id"
        ),
        {"id": book_id, **{c: before[c] for c in _PROGRESS_COLUMNS}},
    )
    return True


def references_to_book(conn: sa.Connection, book_id: int) -> list[str]:
    """Tables (any app's) with a row whose foreign key points at the book."""
    keys = conn.execute(
        sa.text(
            "SELECT c.conrelid::regclass::text AS tbl, a.attname AS col FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid = 'books'::regclass AND cardinality(c.conkey) = 1"
        )
    ).all()
    found = []
    for key in keys:
        # Identifiers come from the catalog (regclass text is already quoted where needed).
        column = conn.dialect.identifier_preparer.quote(key.col)
        if conn.execute(
            sa.text(f"SELECT EXISTS (SELECT 1 FROM {key.tbl} WHERE {column} = :id)"), {"id": book_id}
        ).scalar():
            found.append(key.tbl)
    return found


def delete_book(conn: sa.Connection, book_id: int) -> bool:
    return bool(conn.execute(sa.text("DELETE FROM books WHERE id = :id"), {"id": book_id}).rowcount)
