"""Bring a database up to date (``posture migrate``): tables, roles, grants, RLS, the scope key.

Runs Alembic programmatically on the owner's connection. Safe to run again: a database at head is
left alone. Roles come from ``portal.db.roles`` (their names reach the migrations through
``config.attributes["roles"]``); a role that exists already is never altered, except that a
password given here becomes that role's password (production; local clusters with trust
authentication need none). Two databases on one server that must not share passwords use two
role prefixes.

The scope key (``portal.db.scope``) is stored in ``posture_secrets``, readable by the definer role
only: the one given, or a new random one when the database has none yet. The owner can read it
back (:func:`read_scope_key`), which tests and benchmarks do; the application roles cannot.

Alembic keeps the running migration in module globals (``alembic.context``, ``alembic.op``), so two
threads migrating at once corrupt each other's run; a process-wide lock serialises them. Processes
migrating different databases of one server at once are safe (the roles' creation tolerates the race).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from portal.db.engine import make_engine
from portal.db.roles import DatabaseRoles
from portal.db.scope import new_scope_key

__all__ = ["current_revision", "downgrade", "read_scope_key", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ALEMBIC_LOCK = threading.Lock()
_SCOPE_KEY = "scope_key"


def _config(engine: Engine, roles: DatabaseRoles) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["roles"] = roles.as_dict()
    return config


def _run(owner_url: str, action: str, revision: str, roles: DatabaseRoles) -> None:
    engine = make_engine(owner_url, pool_size=1)
    try:
        with _ALEMBIC_LOCK, engine.begin() as connection:
            config = _config(engine, roles)
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def upgrade(
    owner_url: str, revision: str = "head", *, roles: DatabaseRoles | None = None,
    passwords: Mapping[str, str] | None = None, scope_key: bytes | None = None,
) -> None:
    """Migrate up to ``revision`` as the owner; set role passwords and the scope key.

    Args:
        roles: the role names (default prefix ``posture``).
        passwords: role kind (``web``, ``worker``) to the password that role logs in with.
        scope_key: the key the application signs scopes with; kept as it is when omitted, or a new one
            when the database has none.
    """
    roles = roles or DatabaseRoles()
    _run(owner_url, "upgrade", revision, roles)
    engine = make_engine(owner_url, pool_size=1)
    try:
        with engine.begin() as connection:
            for kind, password in (passwords or {}).items():
                role = roles.as_dict()[kind]
                # Identifiers cannot be bound parameters; the password goes in as a safely quoted literal.
                quoted = connection.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
                connection.execute(text(f'ALTER ROLE "{role}" PASSWORD {quoted}'))
            if _has_secrets_table(connection):
                _store_scope_key(connection, scope_key)
    finally:
        engine.dispose()


def read_scope_key(owner_url: str) -> bytes:
    """The scope key stored in the database (the owner's view; the application roles cannot read it).

    Raises:
        LookupError: the database has none (not migrated).
    """
    engine = make_engine(owner_url, pool_size=1)
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT value FROM posture_secrets WHERE name = :n"),
                                       {"n": _SCOPE_KEY}).scalar_one_or_none()
    finally:
        engine.dispose()
    if value is None:
        raise LookupError("no scope key in this database: run posture migrate")
    return bytes(value)


def _has_secrets_table(connection: Connection) -> bool:
    return connection.execute(text("SELECT to_regclass('public.posture_secrets')")).scalar() is not None


def _store_scope_key(connection: Connection, scope_key: bytes | None) -> None:
    if scope_key is None:
        connection.execute(text("INSERT INTO posture_secrets (name, value) VALUES (:n, :v) ON CONFLICT DO NOTHING"),
                           {"n": _SCOPE_KEY, "v": new_scope_key()})
        return
    connection.execute(text("INSERT INTO posture_secrets (name, value) VALUES (:n, :v) "
                            "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"),
                       {"n": _SCOPE_KEY, "v": scope_key})


def downgrade(owner_url: str, revision: str = "base", *, roles: DatabaseRoles | None = None) -> None:
    """Migrate down to ``revision`` (``base``: an empty database)."""
    _run(owner_url, "downgrade", revision, roles or DatabaseRoles())


def current_revision(owner_url: str) -> str | None:
    """The revision the database is at; None for a database never migrated or back at base."""
    engine = make_engine(owner_url, pool_size=1)
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT to_regclass('alembic_version')")).scalar()
            if exists is None:
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
