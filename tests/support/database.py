"""A fresh, migrated PostgreSQL database for a test session.

Which server: ``POSTURE_TEST_DATABASE_URL`` or ``POSTURE_DATABASE_URL`` when set (CI points them at
the machine's PostgreSQL), otherwise the embedded cluster under the project's data folder, exactly
as a fresh checkout runs. Each session gets its own scratch database there (``portal.db.scratch``).
"""

from __future__ import annotations

import atexit
import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from portal.db.scope import Scope, scope_signature
from portal.db.scratch import scratch_database

__all__ = ["ROOT", "server_url", "set_scope", "test_database"]

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def server_url() -> str:
    """An owner/superuser URL on the server the tests use."""
    explicit = os.environ.get("POSTURE_TEST_DATABASE_URL") or os.environ.get("POSTURE_DATABASE_URL")
    if explicit:
        return explicit
    from portal.db.embedded import EmbeddedCluster

    cluster = EmbeddedCluster(ROOT / "data" / "test-postgres")
    if not cluster.is_running():
        atexit.register(cluster.stop)  # started for this session: it ends with the session
    return cluster.ensure_running()


@contextmanager
def test_database() -> Iterator[str]:
    """Yield the owner URL of a new migrated database; drop it afterwards."""
    with scratch_database(server_url()) as url:
        yield url


def database_name(url: str) -> str:
    return make_url(url).database or ""


def set_scope(connection: Connection, msp_id: uuid.UUID, customer_ids: str = "*", actor: str = "system:test") -> None:
    """Scope the owner's open transaction as the unit of work would, signed with the database's key.

    The owner may read the key (``posture_secrets``); seeding through it keeps working on a server
    where the owner is not a superuser and row-level security, forced, holds it to the policies too.
    """
    key = bytes(connection.execute(text("SELECT value FROM posture_secrets WHERE name = 'scope_key'")).scalar_one())
    scope = Scope(msp_id=msp_id, actor=actor)
    settings = {**scope.settings(), "customer_ids": customer_ids}
    pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    connection.execute(text(
        "SELECT set_config('app.msp_id', :msp_id, true), set_config('app.customer_ids', :customer_ids, true), "
        "set_config('app.user_id', :user_id, true), set_config('app.actor', :actor, true), "
        "set_config('app.scope_sig', :sig, true)"), {**settings, "sig": scope_signature(key, settings, pid)})
