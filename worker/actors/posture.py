"""The rescore actor: recompute one customer's score after a person accepted or revoked a risk.

The web role writes no scores (only workers do, migration 0012), so the portal asks for this after
its transaction commits. Idempotent: it recomputes from the projection, so a redelivery writes the
same figures again.
"""

from __future__ import annotations

import uuid

from config.messages import RESCORE_CUSTOMER, SCANS_QUEUE
from portal.services.risks import rescore_customer as rescore
from worker.actors._declare import actor
from worker.middleware import MIN_BACKOFF_MS, retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["rescore_customer"]

_TIME_LIMIT_MS = 60 * 1000
_MAX_AGE_MS = 60 * 60 * 1000
WORKER_ACTOR = "system:worker"


@actor(actor_name=RESCORE_CUSTOMER, queue_name=SCANS_QUEUE, time_limit=_TIME_LIMIT_MS, max_age=_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=MIN_BACKOFF_MS, max_backoff=10 * MIN_BACKOFF_MS)
def rescore_customer(msp_id: str, customer_id: str) -> None:
    """Recompute the customer's score, grade and open-failure counts."""
    with retry_on_transient():
        rescore(current().engine, uuid.UUID(msp_id), uuid.UUID(customer_id), actor=WORKER_ACTOR)
