"""What a worker process's actors share: the database engine, the scan queue, the scanner environment.

Built once per process by ``worker.app.boot`` and read by the actors through :func:`current`, so
actors stay plain functions of their message (testable without a broker) and nothing is built at
import time. The scanner environment is built on first use and kept: a worker without the app's
credentials still runs the schedule, and each scan it receives fails with a reason that says what
to configure (``ScannerNotConfigured``), instead of the whole process refusing to start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from portal.services.alerts import DeliveryQueue
from portal.services.mail import MailSender
from portal.services.outbox import OutboxQueue
from portal.services.reports import ReportQueue
from portal.services.scans import ScannerEnvironment, ScanQueue

__all__ = ["WorkerRuntime", "configure", "current"]


@dataclass
class WorkerRuntime:
    """The process-wide parts actors use.

    Attributes:
        engine: logged in as the application role (row-level security applies).
        scan_queue: sends ``scan_tenant`` messages (used by the schedule).
        scanner_factory: builds the scanner environment (once, on first use).
        connection_check: asks for a later ``probe_connection`` of a customer whose connection
            failed once (``config.messages.BrokerConnectionCheck``); None sends nothing.
        delivery_queue: sends ``deliver_alert`` messages (the tick hands out due alert deliveries).
        mailer: the SMTP relay email alerts go through (None: email channels wait for one).
        alerts_allow_private: alert webhooks may reach private addresses (the demo and tests).
        public_url: the portal's address, for links in alerts and summaries.
        report_queue: sends ``render_report`` messages (the schedule's summaries need reports).
        summary_queue: sends ``deliver_summary`` messages (the tick, and a report just rendered).
        mail_from: the address summaries are sent from (their display name is the brand's).
    """

    engine: Engine
    scan_queue: ScanQueue
    scanner_factory: Callable[[], ScannerEnvironment]
    connection_check: Callable[..., None] | None = None
    delivery_queue: DeliveryQueue | None = None
    mailer: MailSender | None = None
    alerts_allow_private: bool = False
    public_url: str | None = None
    report_queue: ReportQueue | None = None
    summary_queue: OutboxQueue | None = None
    mail_from: str = "posture@localhost"
    _scanner: ScannerEnvironment | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def scanner(self) -> ScannerEnvironment:
        """The scanner environment (one token provider for all of this process's threads)."""
        with self._lock:
            if self._scanner is None:
                self._scanner = self.scanner_factory()
            return self._scanner


_current: WorkerRuntime | None = None


def configure(runtime: WorkerRuntime) -> None:
    """Install this process's runtime (worker boot, or a test)."""
    global _current
    _current = runtime


def current() -> WorkerRuntime:
    """This process's runtime.

    Raises:
        RuntimeError: the process was not booted (``worker.app.boot``).
    """
    if _current is None:
        raise RuntimeError("the worker runtime is not configured: start workers with `posture worker` "
                           "(dramatiq worker.app:boot)")
    return _current
