"""Which database errors are an outage (503 with Retry-After) and which stay a 500. The outage
itself, from outside, is tests/integration/test_database_outage.py."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import RequestFactory

from tracker.security.outage import DatabaseOutageMiddleware, is_database_outage


def wrapped(cause: Exception, wrapper=OperationalError) -> Exception:
    try:
        raise wrapper(str(cause)) from cause
    except wrapper as error:
        return error


class PsycopgLike(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (wrapped(PsycopgLike("connection refused", None)), True),
        (wrapped(PsycopgLike("terminating connection (administrator command)", "57P01")), True),
        (wrapped(PsycopgLike("the database system is starting up", "57P03")), True),
        (wrapped(PsycopgLike("too many clients already", "53300")), True),
        (wrapped(PsycopgLike("server closed the connection", "08006")), True),
        (wrapped(sqlite3.OperationalError("database is locked")), False),  # no errorname set
        (wrapped(sqlite3.OperationalError("no such table: x")), False),
        (wrapped(PsycopgLike("division by zero", "22012")), False),
        (InterfaceError("connection already closed"), True),
        (ProgrammingError("relation does not exist"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_errors_a_retry_can_cure_are_an_outage(error, outage):
    assert is_database_outage(error) is outage


def test_a_locked_sqlite_database_is_an_outage(tmp_path):
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            other.execute("SELECT * FROM t")
        assert is_database_outage(wrapped(raised.value))
    finally:
        other.close()
        holder.close()


@pytest.mark.parametrize(
    ("path", "content_type"), [("/api/v1/me/", "application/json"), ("/learner/", "text/html")]
)
def test_the_middleware_answers_503_with_retry_after(path, content_type, settings):
    settings.STRIDE_DB_OUTAGE_RETRY_AFTER = 17
    middleware = DatabaseOutageMiddleware(lambda request: None)
    request = RequestFactory().get(path)
    response = middleware.process_exception(request, InterfaceError("connection closed"))
    assert response.status_code == 503
    assert response["Retry-After"] == "17"
    assert response["Content-Type"].startswith(content_type)
    assert middleware.process_exception(request, ValueError("bug")) is None
