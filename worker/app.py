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

import dataclasses
import logging

import dramatiq
from dramatiq import Broker

from config.broker import broker_from_settings
from config.database import owner_url, worker_engine
from config.mail import mailer_from
from config.messages import (
    BrokerConnectionCheck,
    BrokerDeliveryQueue,
    BrokerReportQueue,
    BrokerScanQueue,
    BrokerSummaryQueue,
)
from config.microsoft import scanner_environment
from config.settings import Settings, load_settings
from portal.services import log_context
from portal.services.request_budget import PostgresLedger
from scanner import RequestBudget, tune_collector_for_scans
from worker.actors import declare_actors
from worker.middleware import build_middleware
from worker.runtime import WorkerRuntime, configure

__all__ = ["LOG_FORMAT", "boot", "boot_with"]

#: Dramatiq's worker log line, with the bound context appended.
LOG_FORMAT = "[%(asctime)s] [PID %(process)d] [%(threadName)s] [%(name)s] [%(levelname)s] %(message)s%(context)s"


def boot() -> Broker:
    """Boot this worker process from the environment (``POSTURE_*``); returns the broker."""
    return boot_with(load_settings())


def boot_with(settings: Settings) -> Broker:
    """Boot this process from ``settings``: broker, actors, runtime, log context."""
    # The owner's URL is read only to derive the worker role's (embedded default, or same server).
    owner = None if settings.worker_database_url else owner_url(settings)
    tune_collector_for_scans()
    broker = broker_from_settings(settings, owner, middleware=build_middleware())
    dramatiq.set_broker(broker)
    declare_actors(broker)
    engine = worker_engine(settings, owner)
    # One budget per process, its ledger in the database: every worker process, on every host, takes
    # its requests' units from the same counts (Microsoft's limits are per app, not per process).
    budget = RequestBudget(PostgresLedger(engine))
    configure(WorkerRuntime(
        engine=engine,
        scan_queue=BrokerScanQueue(broker),
        scanner_factory=lambda: dataclasses.replace(scanner_environment(settings), request_budget=budget),
        connection_check=BrokerConnectionCheck(broker, settings.connection_recheck_s),
        delivery_queue=BrokerDeliveryQueue(broker),
        mailer=mailer_from(settings),
        alerts_allow_private=settings.alerts_allow_private_targets,
        public_url=settings.public_url,
        report_queue=BrokerReportQueue(broker),
        summary_queue=BrokerSummaryQueue(broker),
        mail_from=settings.mail_from,
    ))
    _log_with_context()
    return broker


def _log_with_context() -> None:
    log_context.install()
    formatter = logging.Formatter(LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    # httpx logs every request URL at INFO; the scanner's transport logs requests itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
