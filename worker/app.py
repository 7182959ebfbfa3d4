"""What each worker process boots: ``python -m dramatiq worker.app:boot`` calls :func:`boot`.

Dramatiq's CLI imports this module in every worker process it forks and calls ``boot``, which
loads the settings (never at import: STYLE.md), builds the broker with our middleware, declares
the actors on it, and installs the process's runtime: an engine logged in as the application role
(``posture_app``: row-level security applies; each message's transaction is scoped to its
customer by the service it calls) and the scan queue the schedule uses. For the PostgreSQL broker
it also makes sure dramatiq-pg's table exists (idempotent; the owner URL is at hand because the
database is resolved from the same settings).

Log records get the message's context (``scan_id``, ``tenant_id``, ``message_id``...) appended to
Dramatiq's own line format.
"""

from __future__ import annotations

import logging

import dramatiq
from dramatiq import Broker

from portal.services import log_context
from posture.runtime import app_engine, owner_url
from posture.settings import Settings, load_settings
from worker.actors import declare_actors
from worker.broker import broker_kind, build_broker, ensure_broker_schema
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
    owner = owner_url(settings)
    broker = broker_from_settings(settings, owner)
    dramatiq.set_broker(broker)
    declare_actors(broker)
    configure(WorkerRuntime(
        engine=app_engine(settings, owner),
        scan_queue=BrokerScanQueue(broker),
        scanner_factory=lambda: scanner_environment(settings),
    ))
    _log_with_context()
    return broker


def broker_from_settings(settings: Settings, owner: str) -> Broker:
    """The broker ``POSTURE_BROKER_URL`` names (unset: PostgreSQL on the database, schema ensured)."""
    password = settings.app_database_password.get_secret_value() if settings.app_database_password else None
    if settings.broker_url is None:
        ensure_broker_schema(owner)
    elif broker_kind(settings.broker_url) == "postgresql":
        ensure_broker_schema(settings.broker_url)
    return build_broker(settings.broker_url, owner, app_database_url=settings.app_database_url, app_password=password)


def _log_with_context() -> None:
    log_context.install()
    formatter = logging.Formatter(LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    # httpx logs every request URL at INFO; the scanner's transport logs requests itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
