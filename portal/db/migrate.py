"""Bring a database up to date (``posture migrate``): tables, the application role, grants, RLS.

Runs Alembic programmatically on the owner's connection. Safe to run again: a database at head is
left alone. ``POSTURE_APP_DATABASE_PASSWORD``, when given, becomes the application role's password
(production); local clusters with trust authentication need none.

Alembic keeps the running migration in module globals (``alembic.context``, ``alembic.op``), so two
threads migrating at once corrupt each other's run; a process-wide lock serialises them. Processes
migrating different databases of one server at once are safe (the role's creation tolerates the race).
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from portal.db.engine import APP_ROLE, make_engine

__all__ = ["current_revision", "downgrade", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ALEMBIC_LOCK = threading.Lock()


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _run(owner_url: str, action: str, revision: str) -> None:
    engine = make_engine(owner_url, pool_size=1)
    try:
        with _ALEMBIC_LOCK, engine.begin() as connection:
            config = _config(engine)
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def upgrade(owner_url: str, revision: str = "head", *, app_password: str | None = None) -> None:
    """Migrate up to ``revision`` as the owner; optionally set the application role's password."""
    _run(owner_url, "upgrade", revision)
    if app_password:
        engine = make_engine(owner_url, pool_size=1)
        try:
            with engine.begin() as connection:
                # Identifiers cannot be bound parameters; the password is passed as a literal safely quoted.
                quoted = connection.execute(text("SELECT quote_literal(:p)"), {"p": app_password}).scalar_one()
                connection.execute(text(f"ALTER ROLE {APP_ROLE} PASSWORD {quoted}"))
        finally:
            engine.dispose()


def downgrade(owner_url: str, revision: str = "base") -> None:
    """Migrate down to ``revision`` (``base``: an empty database)."""
    _run(owner_url, "downgrade", revision)


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
