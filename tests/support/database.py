"""A fresh, migrated PostgreSQL database for a test session.

Which server: ``POSTURE_TEST_DATABASE_URL`` or ``POSTURE_DATABASE_URL`` when set (CI points them at
the machine's PostgreSQL), otherwise the embedded cluster under the project's data folder, exactly
as a fresh checkout runs. A new database with a random name is created on that server, migrated to
head as the owner, and dropped at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.db import migrate
from portal.db.engine import make_engine, sqlalchemy_url

__all__ = ["ROOT", "server_url", "test_database"]

ROOT = Path(__file__).resolve().parents[2]


def server_url() -> str:
    """An owner/superuser URL on the server the tests use."""
    explicit = os.environ.get("POSTURE_TEST_DATABASE_URL") or os.environ.get("POSTURE_DATABASE_URL")
    if explicit:
        return explicit
    from portal.db.embedded import EmbeddedCluster

    return EmbeddedCluster(ROOT / "data" / "test-postgres").ensure_running()


@contextmanager
def test_database() -> Iterator[str]:
    """Yield the owner URL of a new migrated database; drop it afterwards."""
    admin = sqlalchemy_url(server_url())
    name = f"posture_test_{uuid.uuid4().hex[:12]}"
    admin_engine = make_engine(admin.set(database="postgres"), pool_size=1).execution_options(
        isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin_engine.dispose()


def database_name(url: str) -> str:
    return make_url(url).database or ""
