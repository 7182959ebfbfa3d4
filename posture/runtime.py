"""Where the running service finds its database: configured, or the embedded cluster.

Every entry point (``posture migrate``, ``posture worker``, ``posture demo``) resolves the database
the same way: ``POSTURE_DATABASE_URL`` when set, otherwise a private PostgreSQL cluster under
``POSTURE_DATA_DIR`` (``data/`` by default), started on first use.
"""

from __future__ import annotations

from sqlalchemy import Engine

from portal.db.engine import app_url, make_engine
from posture.settings import Settings

__all__ = ["app_engine", "owner_url"]


def owner_url(settings: Settings) -> str:
    """The owner URL: configured, or the embedded cluster's (started if needed)."""
    if settings.database_url:
        return settings.database_url
    from portal.db.embedded import EmbeddedCluster

    return EmbeddedCluster(settings.data_dir.resolve() / "postgres").ensure_running()


def app_engine(settings: Settings, owner: str | None = None) -> Engine:
    """An engine logged in as the application role (row-level security applies)."""
    password = settings.app_database_password.get_secret_value() if settings.app_database_password else None
    return make_engine(app_url(owner or owner_url(settings), explicit=settings.app_database_url, password=password))
