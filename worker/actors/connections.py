"""The connection probe actor: can the service still reach this customer's tenant?

Cheap (one token, one ``$batch``), so onboarding and the fleet's "check connection" button can
run it on demand; transient failures retry like scans, and change nothing when they give up.
"""

from __future__ import annotations

import uuid

from config.messages import PROBE_CONNECTION, SCANS_QUEUE
from portal.services.customers import probe_connection as probe
from worker.actors._declare import actor
from worker.middleware import MIN_BACKOFF_MS, retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["probe_connection"]

_TIME_LIMIT_MS = 2 * 60 * 1000
_MAX_AGE_MS = 60 * 60 * 1000


@actor(actor_name=PROBE_CONNECTION, queue_name=SCANS_QUEUE, time_limit=_TIME_LIMIT_MS, max_age=_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=MIN_BACKOFF_MS, max_backoff=10 * MIN_BACKOFF_MS)
def probe_connection(msp_id: str, customer_id: str) -> None:
    """Probe one customer's connection and update its state."""
    runtime = current()
    with retry_on_transient():
        probe(runtime.engine, uuid.UUID(msp_id), uuid.UUID(customer_id), scanner_env=runtime.scanner())
