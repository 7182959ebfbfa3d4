"""Which database errors a worker retries, and what of them reaches a failed scan's reason.

Real errors from the real server: a missing database or role is permanent (retrying for an hour
helps nobody; the reason says what to check), a connection killed under a running statement is
transient, and a failed statement's values never reach the reason (only the error class and SQLSTATE).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from portal.db.engine import make_engine, sqlalchemy_url
from worker.middleware import failure_reason, is_transient


def _connect_error(url: str) -> OperationalError:
    engine = make_engine(url, pool_size=1)
    try:
        with pytest.raises(OperationalError) as caught, engine.connect():
            pass
    finally:
        engine.dispose()
    return caught.value


def test_a_missing_database_is_permanent_and_says_what_to_check(owner_url: str) -> None:
    error = _connect_error(sqlalchemy_url(owner_url).set(database=f"missing_{uuid.uuid4().hex[:8]}")
                           .render_as_string(hide_password=False))

    assert not is_transient(error)
    assert "cannot log in to the database" in failure_reason(error)


def test_a_missing_role_is_permanent(owner_url: str) -> None:
    error = _connect_error(sqlalchemy_url(owner_url).set(username=f"nobody_{uuid.uuid4().hex[:8]}")
                           .render_as_string(hide_password=False))

    assert not is_transient(error)


def test_a_connection_killed_mid_statement_is_transient(owner_engine: Engine) -> None:
    with owner_engine.connect() as victim, owner_engine.connect() as killer:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as caught:
            victim.execute(text("SELECT 1"))

    assert is_transient(caught.value)


def test_a_failed_statement_gives_a_reason_without_its_values(owner_engine: Engine) -> None:
    secret = f"ann-{uuid.uuid4().hex}@contoso.example"
    with owner_engine.begin() as connection:
        connection.execute(text("CREATE TEMP TABLE t (email text PRIMARY KEY)"))
        connection.execute(text("INSERT INTO t VALUES (:e)"), {"e": secret})
        with pytest.raises(DBAPIError) as caught:
            connection.execute(text("INSERT INTO t VALUES (:e)"), {"e": secret})
        connection.rollback()

    assert secret in str(caught.value.orig)  # the server quotes the value...
    reason = failure_reason(caught.value)
    assert secret not in reason and "INSERT" not in reason  # ...the reason does not
    assert reason == "database_error: UniqueViolation (SQLSTATE 23505)"
    assert secret not in str(caught.value).split("\n[SQL")[1]  # and hide_parameters keeps it out of the SQL part
