"""SQL of the tracker's books: what the matcher reads, the demo seed, and books a person creates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from domain.review import NewBook, ReviewError
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


def create_book(conn: sa.Connection, book: NewBook) -> Any:
    """Insert a tracker book and return its id, with the status in the tracker's own word.

    Refused (ReviewError, nothing written) when the tracker gives new rows no id: an id is never
    guessed, as the reader's app may hand out the next one itself.
    """
    profile = tracker_profile_sql.load_profile(conn)
    id_column = profile.shape.columns.get("id")
    if id_column is not None and not id_column.has_default:
        raise ReviewError(id_default_refusal(id_column.base_type))
    refusal = profile.refusal()
    if refusal:
        raise ReviewError(refusal)
    status = profile.settings.words.get(book.status, book.status)
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
