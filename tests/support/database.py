"""A fresh, migrated PostgreSQL database for a test session.

Which server: ``POSTURE_TEST_DATABASE_URL`` or ``POSTURE_DATABASE_URL`` when set (CI points them at
the machine's PostgreSQL), otherwise the embedded cluster under the project's data folder, exactly
as a fresh checkout runs. Each session gets its own scratch database there (``portal.db.scratch``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from portal.db.scratch import scratch_database

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
    with scratch_database(server_url()) as url:
        yield url


def database_name(url: str) -> str:
    return make_url(url).database or ""
