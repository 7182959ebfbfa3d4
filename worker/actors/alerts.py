"""The alert delivery actor: send one delivery of the outbox (``portal.services.alerts``).

Sent by the tick for each due delivery. Idempotent: the delivery row is locked and sent only while
pending, so a redelivered message sends nothing twice. Its own retries are the outbox's (backoff on
the row, picked up by a later tick), not Dramatiq's: each attempt is logged where the page shows it.
"""

from __future__ import annotations

import uuid

from config.messages import DELIVER_ALERT, SCHEDULES_QUEUE
from portal.services.alerts import deliver
from worker.actors._declare import actor
from worker.middleware import MIN_BACKOFF_MS, retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["deliver_alert"]

#: Ten seconds per HTTP attempt, an SMTP conversation, and the two short transactions around them.
_TIME_LIMIT_MS = 60 * 1000
#: Older than the lease: the tick has handed the delivery out again by then.
_MAX_AGE_MS = 5 * 60 * 1000


@actor(actor_name=DELIVER_ALERT, queue_name=SCHEDULES_QUEUE, time_limit=_TIME_LIMIT_MS, max_age=_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=MIN_BACKOFF_MS, max_backoff=10 * MIN_BACKOFF_MS)
def deliver_alert(delivery_id: str, msp_id: str) -> None:
    """Send one alert delivery if it is still pending."""
    runtime = current()
    with retry_on_transient():
        deliver(runtime.engine, uuid.UUID(delivery_id), uuid.UUID(msp_id), mailer=runtime.mailer,
                allow_private=runtime.alerts_allow_private, portal_url=runtime.public_url)
