"""The report actor: render one requested report (``portal.services.reports``) and store its PDF.

Idempotent: the row is locked and rendered only while queued, so a redelivered message renders
nothing twice. The email summaries waiting for the report are sent on at once (their own claim
makes a second message harmless). A report that cannot be rendered is marked failed with the reason (retrying would fail
the same way); only a database out of reach is retried.
"""

from __future__ import annotations

import uuid

from config.messages import RENDER_REPORT, SCANS_QUEUE
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.reports import render_stored_report
from portal.services.summaries import SUMMARIES_ACTOR, waiting_for_report
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
    """Render the report if it is still queued; then send the summaries that waited for it."""
    runtime = current()
    with retry_on_transient():
        status = render_stored_report(runtime.engine, uuid.UUID(report_id), uuid.UUID(msp_id),
                                      uuid.UUID(customer_id) if customer_id else None)
        if status == "ready" and runtime.summary_queue is not None:
            with unit_of_work(runtime.engine, Scope.for_msp(uuid.UUID(msp_id), actor=SUMMARIES_ACTOR)) as uow:
                waiting = waiting_for_report(uow, uuid.UUID(report_id))
            for delivery_id, owner in waiting:
                runtime.summary_queue(delivery_id=delivery_id, msp_id=owner)
