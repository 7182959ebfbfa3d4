"""What each worker process boots: ``python -m dramatiq worker.app:boot`` calls :func:`boot`.

Dramatiq's CLI imports this module in every worker process it forks and calls ``boot``, which
loads the settings (never at import: STYLE.md), builds the broker with our middleware, declares
the actors on it, and installs the process's runtime: an engine logged in as the application role
(the worker role, ``portal.db.roles``: row-level security applies; each message's transaction is
scoped to its customer by the service it calls, and signed with the scope key) and the scan queue
the schedule uses. A worker holds no owner credentials: the PostgreSQL broker's table is made by
``posture migrate``, and a worker that finds it missing says so instead of creating it.

Log records get the message's context (``scan_id``, ``tenant_id``, ``message_id``...) appended to
Dramatiq's own line format.
"""

from __future__ import annotations

import logging

import dramatiq
from dramatiq import Broker

from portal.services import log_context
from posture.runtime import owner_url, worker_engine, worker_url
from posture.settings import Settings, load_settings
from worker.actors import declare_actors
from worker.broker import broker_kind, build_broker, require_broker_schema
from worker.environment import scanner_environment
from worker.queues import BrokerScanQueue
from worker.runtime import WorkerRuntime, configure

__all__ = ["LOG_FORMAT", "boot", "boot_with", "broker_from_settings"]

#: Dramatiq's worker log line, with the bound context appended.
LOG_FORMAT = "[%(asctime)s] [PID %(process)d] [%(threadName)s] [%(name)s] [%(levelname)s] %(message)s%(context)s"


def boot() -> Broker:
    """Boot this worker process from the environment (``POSTURE_*``); returns the broker."""
    return boot_with(load_settings())


def boot_with(settings: Settings) -> Broker:
    """Boot this process from ``settings``: broker, actors, runtime, log context."""
    # The owner's URL is read only to derive the worker role's (embedded default, or same server).
    owner = None if settings.worker_database_url else owner_url(settings)
    broker = broker_from_settings(settings, owner)
    dramatiq.set_broker(broker)
    declare_actors(broker)
    configure(WorkerRuntime(
        engine=worker_engine(settings, owner),
        scan_queue=BrokerScanQueue(broker),
        scanner_factory=lambda: scanner_environment(settings),
    ))
    _log_with_context()
    return broker


def broker_from_settings(settings: Settings, owner: str | None = None, *, publisher: bool = False) -> Broker:
    """The broker ``POSTURE_BROKER_URL`` names (unset: PostgreSQL on the database, as the worker role,
    or the web role when ``publisher``; its table must exist: ``posture migrate`` makes it)."""
    url = settings.broker_url.get_secret_value() if settings.broker_url else None
    if broker_kind(url) != "postgresql":
        return build_broker(url, "")
    from posture.runtime import web_url

    database = url or (web_url(settings, owner) if publisher else worker_url(settings, owner))
    require_broker_schema(database)
    return build_broker(url, database, publisher=publisher)


def _log_with_context() -> None:
    log_context.install()
    formatter = logging.Formatter(LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    # httpx logs every request URL at INFO; the scanner's transport logs requests itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
