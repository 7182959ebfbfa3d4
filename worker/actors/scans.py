"""Scan actors: scan one tenant, and the dead-letter path that fails a scan with its reason.

``scan_tenant`` is safe to run twice (a redelivered message finds its scan final and returns), so
at-least-once delivery is enough. Options, and why:
- ``time_limit`` 10 min: a 10,000-user tenant scans in seconds; ten minutes means something hangs.
- ``max_age`` 24 h: a scan still queued after a day is superseded by the next scheduled one.
- ``retry_when=retry_transient``: only transient errors are retried (``MAX_RETRIES`` times, backoff
  from ``MIN_BACKOFF_MS`` doubling, or the server's ``Retry-After``); anything else fails at once.
- ``dead_letter``: a message that failed for good reaches ``scan_dead_letter``, which marks the scan
  ``failed`` with the reason.
"""

from __future__ import annotations

import uuid

from config.messages import SCAN_DEAD_LETTER, SCAN_TENANT, SCANS_QUEUE
from portal.services.scans import mark_failed, run_scan
from worker.actors._declare import actor
from worker.middleware import MIN_BACKOFF_MS, retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["SCAN_MAX_AGE_MS", "SCAN_TIME_LIMIT_MS", "scan_dead_letter", "scan_tenant"]

SCAN_TIME_LIMIT_MS = 10 * 60 * 1000
SCAN_MAX_AGE_MS = 24 * 60 * 60 * 1000
_MAX_BACKOFF_MS = 10 * 60 * 1000


@actor(actor_name=SCAN_TENANT, queue_name=SCANS_QUEUE, time_limit=SCAN_TIME_LIMIT_MS, max_age=SCAN_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=MIN_BACKOFF_MS, max_backoff=_MAX_BACKOFF_MS,
       dead_letter=SCAN_DEAD_LETTER)
def scan_tenant(scan_id: str, msp_id: str, customer_id: str) -> None:
    """Scan the customer's tenant for this queued scan and record the outcome; after a first failed
    connection, ask for a probe a few minutes later to confirm it (``connection_recheck_s``)."""
    runtime = current()
    with retry_on_transient():
        run = run_scan(runtime.engine, uuid.UUID(scan_id), uuid.UUID(msp_id), uuid.UUID(customer_id),
                       scanner_env=runtime.scanner())
    # Sent after the outcome is committed; a redelivery finds the scan final and sends nothing again.
    if run.connection is not None and run.connection.awaits_confirmation and runtime.connection_check:
        runtime.connection_check(msp_id=uuid.UUID(msp_id), customer_id=uuid.UUID(customer_id))


@actor(actor_name=SCAN_DEAD_LETTER, queue_name=SCANS_QUEUE, retry_when=retry_transient,
       min_backoff=MIN_BACKOFF_MS, max_backoff=_MAX_BACKOFF_MS)
def scan_dead_letter(scan_id: str, msp_id: str, customer_id: str, reason: str) -> None:
    """A scan message failed for good: mark its scan failed with the reason (unless it is final)."""
    with retry_on_transient():
        mark_failed(current().engine, uuid.UUID(scan_id), uuid.UUID(msp_id), uuid.UUID(customer_id), reason)
