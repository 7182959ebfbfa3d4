"""A throw-away migrated database on a PostgreSQL server, for tests and benchmarks.

A new database with a random name is created on the server, migrated to head as the owner, and
dropped at the end (its connections terminated first), so runs never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from portal.db import migrate
from portal.db.engine import make_engine, sqlalchemy_url

__all__ = ["scratch_database"]


@contextmanager
def scratch_database(server_url: str, prefix: str = "posture_test") -> Iterator[str]:
    """Yield the owner URL of a new database migrated to head on ``server_url``'s server; drop it afterwards."""
    admin = sqlalchemy_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
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
