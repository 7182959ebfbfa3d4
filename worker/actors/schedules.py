"""The schedule actor: queue the scans that are due, across every MSP.

Sent every minute by the ticker (``worker.ticker``). Several ticks at once (several worker hosts)
are harmless: due customers are claimed with ``SKIP LOCKED`` and their next scan time moves on in
the same transaction. ``max_age`` is short because a late tick is replaced by the next one.
"""

from __future__ import annotations

import datetime as dt

from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE
from portal.services.billing import close_due_invoices
from portal.services.scans import run_due_schedules as queue_due_scans
from worker.actors._declare import actor
from worker.middleware import retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["run_due_schedules"]

_TIME_LIMIT_MS = 5 * 60 * 1000
_MAX_AGE_MS = 5 * 60 * 1000


@actor(actor_name=RUN_DUE_SCHEDULES, queue_name=SCHEDULES_QUEUE, time_limit=_TIME_LIMIT_MS, max_age=_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=5_000, max_backoff=60_000)
def run_due_schedules() -> None:
    """Queue a scan for every customer whose next scan time has come, and the alerts and summaries due;
    close last month's invoices once the month is over."""
    runtime = current()
    now = dt.datetime.now(dt.UTC)
    with retry_on_transient(floor_ms=5_000):
        queue_due_scans(runtime.engine, now, queue=runtime.scan_queue,
                        deliveries=runtime.delivery_queue, reports=runtime.report_queue,
                        summaries=runtime.summary_queue)
        close_due_invoices(runtime.engine, now)
