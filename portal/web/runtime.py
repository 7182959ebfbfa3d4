"""What the web app's handlers share: built once per process by the app factory, injected as ``web``.

Handlers never read settings or build engines: they receive this object (a Litestar dependency),
so tests build one over their own database and checks without touching the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine

from portal.services.environment import ScannerEnvironment
from portal.services.mail import MailSender
from portal.services.onboarding import ConsentApp
from portal.services.outbox import OutboxQueue
from portal.services.reports import ReportQueue
from portal.services.reverify import ScanGroup
from portal.services.risks import RescoreQueue
from portal.services.scans import ScanQueue

__all__ = ["WebRuntime"]


@dataclass(frozen=True)
class WebRuntime:
    """The process-wide parts of the portal.

    Attributes:
        engine: logged in as the web role (row-level security applies; scopes signed).
        readiness: name to a check that raises when that part is not ready (``/readyz``).
        tls: the portal is reached over https (Secure cookies, HSTS).
        mailer: sends the portal's mails; None when no relay is configured.
        public_url: the portal's address as users reach it, for links in mails.
        scan_queue: sends "scan this tenant" messages ("Scan now"); None when no broker is configured.
        consent: the service app as admin consent needs it; None when no app is configured.
        scanner_env: reads tenants, to confirm a consent at the callback; None when no app is configured.
        scan_group: sends a re-verify's scans as one group; None when no broker is configured.
        rescore_queue: asks a worker to rescore a customer after a risk is accepted or revoked; None
            sends nothing (the next scan rescores).
        alerts_allow_private: alert webhooks may aim at private and loopback addresses (the demo and
            tests; never the production default).
        report_queue: asks a worker to render a report; None when no broker is configured.
        summary_queue: asks a worker to send an email summary ("Send a test"); None when no broker is configured.
    """

    engine: Engine
    readiness: Mapping[str, Callable[[], None]] = field(default_factory=dict)
    tls: bool = False
    mailer: MailSender | None = None
    public_url: str = "http://127.0.0.1:8000"
    scan_queue: ScanQueue | None = None
    consent: ConsentApp | None = None
    scanner_env: ScannerEnvironment | None = None
    rescore_queue: RescoreQueue | None = None
    scan_group: ScanGroup | None = None
    alerts_allow_private: bool = False
    report_queue: ReportQueue | None = None
    summary_queue: OutboxQueue | None = None
