"""The report actor: render one requested report (``portal.services.reports``) and store its PDF.

Idempotent: the row is locked and rendered only while queued, so a redelivered message renders
nothing twice. A report that cannot be rendered is marked failed with the reason (retrying would fail
the same way); only a database out of reach is retried.
"""

from __future__ import annotations

import uuid

from config.messages import RENDER_REPORT, SCANS_QUEUE
from portal.services.reports import render_stored_report
from worker.actors._declare import actor
from worker.middleware import MIN_BACKOFF_MS, retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["render_report"]

#: A fleet report of a thousand customers renders in well under this on one core.
_TIME_LIMIT_MS = 10 * 60 * 1000
_MAX_AGE_MS = 24 * 60 * 60 * 1000


@actor(actor_name=RENDER_REPORT, queue_name=SCANS_QUEUE, time_limit=_TIME_LIMIT_MS, max_age=_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=MIN_BACKOFF_MS, max_backoff=10 * MIN_BACKOFF_MS)
def render_report(msp_id: str, customer_id: str | None, report_id: str) -> None:
    """Render the report if it is still queued."""
    with retry_on_transient():
        render_stored_report(current().engine, uuid.UUID(report_id), uuid.UUID(msp_id),
                             uuid.UUID(customer_id) if customer_id else None)
