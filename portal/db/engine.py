"""Database connections: one engine for the application role, one for the owner (migrations).

The owner URL is ``POSTURE_DATABASE_URL`` (or the embedded cluster). The application and the
workers connect as ``posture_app``: a role that owns nothing, is not a superuser and cannot bypass
row-level security, so even a query that forgets its scope sees no rows. Its URL is
``POSTURE_APP_DATABASE_URL`` when set, else the owner URL with that user name and
``POSTURE_APP_DATABASE_PASSWORD`` as password (trust authentication on a local cluster needs none).
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

__all__ = ["APP_ROLE", "app_url", "make_engine", "sqlalchemy_url"]

#: The application role created by the migrations.
APP_ROLE = "posture_app"


def sqlalchemy_url(url: str | URL) -> URL:
    """A ``postgresql://`` URL with the driver we use (psycopg2) made explicit."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def app_url(owner_url: str, *, explicit: str | None = None, password: str | None = None) -> URL:
    """The URL the application role logs in with."""
    if explicit:
        return sqlalchemy_url(explicit)
    return sqlalchemy_url(owner_url).set(username=APP_ROLE, password=password)


def make_engine(url: str | URL, *, pool_size: int = 5) -> Engine:
    """An engine with health-checked pooled connections (a restarted database is survived)."""
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
