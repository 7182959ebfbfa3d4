"""Database connections: the owner's (migrations), the web role's and the worker role's.

The owner URL is ``POSTURE_DATABASE_URL`` (or the embedded cluster). The portal and the workers
log in as their own roles (``portal.db.roles``): neither owns anything, is a superuser or bypasses
row-level security, so even a query that forgets its scope sees no rows. A role's URL is given
explicitly, or is the owner URL with the role's name and password (trust authentication on a local
cluster needs none).

Every engine made here:

- **resets each connection when it returns to the pool** with ``DISCARD ALL`` (after the rollback):
  no setting, prepared statement, advisory lock or temporary object of one request survives into
  the next request on that connection;
- **hides SQL parameters** from its error messages (``hide_parameters``), so a failed statement's
  values (evidence, emails, hashes) never reach a log line, ``failure_reason`` or the audit trail;
- carries the **scope key** the unit of work signs scopes with, for application roles
  (:func:`scope_key_of`). The key is never sent to the database in clear after ``posture migrate``
  stored it.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

__all__ = ["make_engine", "role_url", "scope_key_of", "sqlalchemy_url"]

_scope_keys: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()


def sqlalchemy_url(url: str | URL) -> URL:
    """A ``postgresql://`` URL with the driver we use (psycopg2) made explicit."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def role_url(owner_url: str | URL, role: str, *, explicit: str | None = None, password: str | None = None) -> URL:
    """The URL ``role`` logs in with: ``explicit`` when given, else the owner's server and database."""
    if explicit:
        return sqlalchemy_url(explicit)
    return sqlalchemy_url(owner_url).set(username=role, password=password)


def make_engine(url: str | URL, *, pool_size: int = 5, scope_key: bytes | None = None) -> Engine:
    """An engine with health-checked pooled connections, reset on return, parameters hidden.

    Args:
        scope_key: the key scopes are signed with (``portal.db.uow``); required for engines that open
            units of work, unused by the owner's.
    """
    engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size,
                           pool_reset_on_return=None, hide_parameters=True)
    event.listen(engine, "reset", _discard_all)
    if scope_key is not None:
        _scope_keys[engine] = scope_key
    return engine


def scope_key_of(engine: Engine) -> bytes:
    """The scope key ``engine`` was made with.

    Raises:
        RuntimeError: it was made without one (an owner engine cannot open a unit of work).
    """
    try:
        return _scope_keys[engine]
    except KeyError:
        raise RuntimeError("this engine has no scope key: build application engines with "
                           "make_engine(url, scope_key=...) (config.database does)") from None


def _discard_all(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    # Replaces the pool's plain rollback. DISCARD ALL cannot run inside a transaction block, and
    # psycopg2 opens one before any statement unless the connection is in autocommit.
    dbapi_connection.rollback()
    if dbapi_connection.closed:
        return
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("DISCARD ALL")
    finally:
        dbapi_connection.autocommit = False
