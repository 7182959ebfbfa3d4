"""The summary delivery actor: send one email summary to one recipient (``portal.services.summaries``).

Sent by the tick for each due delivery, by the report actor when a summary's report is rendered, and
by the portal's "Send a test". Idempotent: the delivery row is claimed once per lease, so a redelivered
message sends nothing twice. Its retries are the outbox's (backoff on the row, every outcome kept for
the delivery log), not Dramatiq's.
"""

from __future__ import annotations

import uuid

from config.messages import DELIVER_SUMMARY, SCHEDULES_QUEUE
from portal.services.summaries import deliver_summary as deliver
from worker.actors._declare import actor
from worker.middleware import MIN_BACKOFF_MS, retry_on_transient, retry_transient
from worker.runtime import current

__all__ = ["DEFAULT_PORTAL_URL", "deliver_summary"]

#: Building the message (the report's content again), one SMTP conversation with a PDF, two short transactions.
_TIME_LIMIT_MS = 2 * 60 * 1000
#: Older than the outbox's lease: the tick has handed the delivery out again by then.
_MAX_AGE_MS = 5 * 60 * 1000
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"


@actor(actor_name=DELIVER_SUMMARY, queue_name=SCHEDULES_QUEUE, time_limit=_TIME_LIMIT_MS, max_age=_MAX_AGE_MS,
       retry_when=retry_transient, min_backoff=MIN_BACKOFF_MS, max_backoff=10 * MIN_BACKOFF_MS)
def deliver_summary(delivery_id: str, msp_id: str) -> None:
    """Send one summary delivery if it is still pending."""
    runtime = current()
    with retry_on_transient():
        deliver(runtime.engine, uuid.UUID(delivery_id), uuid.UUID(msp_id), mailer=runtime.mailer,
                from_address=runtime.mail_from, portal_url=runtime.public_url or DEFAULT_PORTAL_URL)
