"""The error-to-line layer: real failures become one line that names the place, never the password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from dagster._utils.error import serializable_error_info_from_exc_info

from domain.library_items import LibraryShapeError
from pipelines.cli.errors import (
    ErrorLink,
    error_info_line,
    exception_line,
    failure_line,
    links_from_exception,
    unexpected_line,
)
from resources.library_source import NoLibrarySource, read_library_file
from resources.postgres import get_engine

SECRET = "s3cret"


def _connection_error(url: str) -> BaseException:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError(f"connecting to {url} should have failed")


def _one_line(line: str | None) -> str:
    assert line is not None and "\n" not in line and SECRET not in line
    return line


def test_a_closed_port_names_host_port_database_and_the_variable():
    url = f"postgresql://u:{SECRET}@127.0.0.1:1/x"
    line = _one_line(exception_line(_connection_error(url), url))
    assert line.startswith("cannot reach PostgreSQL at 127.0.0.1:1 (database 'x')")
    assert "AUDIBLE_TRACKER_DATABASE_URL" in line and "refused" in line.lower()


def test_a_missing_database_says_so_and_how_to_fix_it(server_url):
    url = sa.make_url(server_url).set(database="at_no_such_db", password=SECRET)
    url = url.render_as_string(hide_password=False).replace("+psycopg", "")
    line = _one_line(exception_line(_connection_error(url), url))
    assert "has no database 'at_no_such_db'" in line and "AUDIBLE_TRACKER_DATABASE_URL" in line


def test_an_unknown_user_is_a_login_refusal(server_url):
    url = sa.make_url(server_url).set(username="at_no_such_role", password=SECRET)
    url = url.render_as_string(hide_password=False).replace("+psycopg", "")
    line = _one_line(exception_line(_connection_error(url), url))
    assert "refused the login of user 'at_no_such_role'" in line and "wrong user name or password" in line


def test_a_wrong_password_is_a_login_refusal():
    # The test servers trust local logins, so this is PostgreSQL's own wording of the refusal.
    message = (
        '(psycopg.OperationalError) connection failed: connection to server at "10.0.0.5", port 5433 '
        'failed: FATAL:  password authentication failed for user "me"'
    )
    url = f"postgresql://me:{SECRET}@10.0.0.5:5433/books"
    line = _one_line(failure_line([ErrorLink(("OperationalError",), message)], url))
    assert line.startswith("PostgreSQL at 10.0.0.5:5433 refused the login of user 'me' to database 'books'")


def test_a_url_that_is_not_postgresql_is_named_by_its_variable_never_repeated():
    with pytest.raises(ValueError) as caught:
        get_engine(f"mysql://me:{SECRET}@host:3306/db")
    line = _one_line(exception_line(caught.value))
    assert line.startswith("AUDIBLE_TRACKER_DATABASE_URL must be a PostgreSQL URL")


def test_messages_written_for_people_are_the_line(tmp_path):
    missing = tmp_path / "nope.tsv"
    with pytest.raises(LibraryShapeError) as caught:
        read_library_file(missing)
    assert (
        exception_line(caught.value)
        == f"library file {missing} does not exist (AUDIBLE_TRACKER_LIBRARY_FILE, --library)"
    )
    assert exception_line(NoLibrarySource("account 'x' has no stored credentials")) == (
        "account 'x' has no stored credentials"
    )


def test_a_failure_inside_a_dagster_step_reads_the_same_as_the_exception():
    url = f"postgresql://u:{SECRET}@127.0.0.1:1/x"
    error = _connection_error(url)
    try:
        try:
            raise error
        except sa.exc.DBAPIError as inner:
            raise RuntimeError('Error occurred while executing op "audible_library"') from inner
    except RuntimeError:
        import sys

        info = serializable_error_info_from_exc_info(sys.exc_info())
    assert _one_line(error_info_line(info, url)) == exception_line(error, url)


def test_an_unexpected_error_is_one_bounded_line_without_sql_parameters():
    error = sa.exc.IntegrityError("INSERT INTO t VALUES (%(v)s)", {"v": SECRET}, Exception("boom\ndetail"))
    assert exception_line(error) is None
    line = unexpected_line(links_from_exception(error))
    assert line == "unexpected Exception: boom"
