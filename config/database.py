"""Where the running service finds its database, roles and keys: configured, or the embedded defaults.

Every entry point (``posture migrate``, ``posture worker``, ``posture serve``, ``posture demo``)
resolves them the same way: ``POSTURE_DATABASE_URL`` when set, otherwise a private PostgreSQL cluster under
``POSTURE_DATA_DIR`` (``data/`` by default), started on first use; the web and worker roles'
URLs from their own settings or from the owner's server; the scope key from ``POSTURE_SCOPE_KEY``
or, unset, from ``data_dir/scope.key`` (made once, mode 0600), which suits one host. Several hosts
set ``POSTURE_SCOPE_KEY`` (or a secrets-dir file) to the same value everywhere.
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from config.settings import Settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles

if TYPE_CHECKING:
    from portal.db.embedded import EmbeddedCluster

__all__ = [
    "MIN_SCOPE_KEY_LENGTH",
    "embedded_cluster",
    "migrate_database",
    "owner_url",
    "roles",
    "scope_key",
    "web_engine",
    "web_url",
    "worker_engine",
    "worker_url",
]

#: Shortest ``POSTURE_SCOPE_KEY`` accepted, in characters.
MIN_SCOPE_KEY_LENGTH = 32
_SCOPE_KEY_FILE = "scope.key"


def embedded_cluster(settings: Settings) -> EmbeddedCluster | None:
    """The embedded cluster under the data folder, or None when ``POSTURE_DATABASE_URL`` names a server."""
    if settings.database_url:
        return None
    from portal.db.embedded import EmbeddedCluster

    return EmbeddedCluster(settings.data_dir.resolve() / "postgres")


def owner_url(settings: Settings) -> str:
    """The owner URL: configured, or the embedded cluster's (started if needed)."""
    cluster = embedded_cluster(settings)
    if cluster is None:
        assert settings.database_url is not None
        return settings.database_url.get_secret_value()
    return cluster.ensure_running()


def roles(settings: Settings) -> DatabaseRoles:
    """The role names of this deployment (``POSTURE_DATABASE_ROLE_PREFIX``)."""
    return DatabaseRoles(settings.database_role_prefix)


def scope_key(settings: Settings) -> bytes:
    """The key scopes are signed with: ``POSTURE_SCOPE_KEY``, or ``data_dir/scope.key`` (created once).

    Raises:
        ValueError: ``POSTURE_SCOPE_KEY`` is shorter than ``MIN_SCOPE_KEY_LENGTH``.
    """
    if settings.scope_key is not None:
        value = settings.scope_key.get_secret_value()
        if len(value) < MIN_SCOPE_KEY_LENGTH:
            raise ValueError(f"POSTURE_SCOPE_KEY must be at least {MIN_SCOPE_KEY_LENGTH} characters "
                             "(for example the output of `openssl rand -hex 32`)")
        return value.encode()
    path = settings.data_dir.resolve() / _SCOPE_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: of several processes starting at once, one writes the key and the others read it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def _secret(value: object) -> str | None:
    return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]


def web_url(settings: Settings, owner: str | None = None) -> URL:
    """How the portal logs in: ``POSTURE_WEB_DATABASE_URL``, or the owner's server as the web role."""
    explicit = _secret(settings.web_database_url)
    return role_url(owner or ("" if explicit else owner_url(settings)), roles(settings).web, explicit=explicit,
                    password=_secret(settings.web_database_password))


def worker_url(settings: Settings, owner: str | None = None) -> URL:
    """How workers log in: ``POSTURE_WORKER_DATABASE_URL``, or the owner's server as the worker role."""
    explicit = _secret(settings.worker_database_url)
    return role_url(owner or ("" if explicit else owner_url(settings)), roles(settings).worker, explicit=explicit,
                    password=_secret(settings.worker_database_password))


def web_engine(settings: Settings, owner: str | None = None) -> Engine:
    """An engine logged in as the web role (row-level security applies; scopes signed)."""
    return make_engine(web_url(settings, owner), scope_key=scope_key(settings))


def worker_engine(settings: Settings, owner: str | None = None) -> Engine:
    """An engine logged in as the worker role (row-level security applies; scopes signed).

    Its pool holds two connections per worker thread (``pool_size`` plus as many overflow): a scan
    holds its claim's connection for the whole run and opens a transaction beside it, and a pool
    smaller than that makes threads wait for each other's connections, or time out.
    """
    return make_engine(worker_url(settings, owner), scope_key=scope_key(settings),
                       pool_size=settings.worker_threads + 1)


def migrate_database(settings: Settings, revision: str = "head") -> str:
    """``posture migrate``: tables, roles, passwords, the scope key, and the PostgreSQL broker's queue.

    Returns the owner URL migrated.
    """
    from config.broker import broker_kind, ensure_broker_schema

    url = owner_url(settings)
    passwords = {kind: value.get_secret_value() for kind, value in
                 (("web", settings.web_database_password), ("worker", settings.worker_database_password))
                 if value is not None}
    migrate.upgrade(url, revision, roles=roles(settings), passwords=passwords, scope_key=scope_key(settings))
    broker = _secret(settings.broker_url)
    if broker_kind(broker) == "postgresql":
        ensure_broker_schema(broker or url, roles(settings))
    return url
