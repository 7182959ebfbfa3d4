"""The outbox both alert deliveries and email summaries use: rows that a tick leases and a worker sends.

An outbox row has ``status`` (``pending`` until it is sent or given up), ``attempts``,
``next_attempt_at``, ``leased_at`` and ``last_attempt_at``. Its life:

- :func:`lease_due` (the worker's tick, every minute): every pending row whose time has come is leased
  for ``LEASE`` and handed to the queue after commit. A worker killed mid-send leaves the lease to run
  out, and a later tick hands the row out again.
- the worker claims the row (``SKIP LOCKED``) only while it is pending and not attempted since the tick
  handed it out (:func:`attempted_since_lease`): a redelivered message, or two at once, send once.
- :func:`count_attempt` before it sends: a worker killed mid-send uses up an attempt instead of
  leaving the row pending forever, and the row is due again after the attempt's ``BACKOFF``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from sqlalchemy import select

from portal.db.uow import UnitOfWork

__all__ = ["BACKOFF", "LEASE", "MAX_ATTEMPTS", "OutboxQueue", "attempted_since_lease", "count_attempt", "lease_due"]

MAX_ATTEMPTS = 6
#: After the n-th attempt fails (or never reports), the row is due again this much later.
BACKOFF = (dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=8), dt.timedelta(minutes=30),
           dt.timedelta(hours=2))
#: How long a handed-out row is left to its worker before the tick hands it out again.
LEASE = dt.timedelta(minutes=5)


class OutboxQueue(Protocol):
    """Send one row to a worker: ``delivery_id`` and the ``msp_id`` whose scope reads it."""

    def __call__(self, *, delivery_id: uuid.UUID, msp_id: uuid.UUID) -> None: ...


def lease_due(uow: UnitOfWork, model: Any, now: dt.datetime, *, send: OutboxQueue, limit: int = 500,
              where: tuple[Any, ...] = ()) -> int:
    """Lease the pending rows of ``model`` in scope whose time has come; hand each to ``send`` after commit."""
    due = list(uow.session.scalars(
        select(model).where(model.status == "pending", model.next_attempt_at <= now, *where)
        .order_by(model.next_attempt_at).limit(limit).with_for_update(skip_locked=True)))
    for row in due:
        row.next_attempt_at, row.leased_at = now + LEASE, now
        uow.after_commit(lambda d=row.id, m=row.msp_id: send(delivery_id=d, msp_id=m))
    return len(due)


def attempted_since_lease(row: Any) -> bool:
    """Whether the row was attempted after the tick last handed it out: this message is a duplicate."""
    return row.last_attempt_at is not None and (row.leased_at is None or row.last_attempt_at >= row.leased_at)


def count_attempt(row: Any, now: dt.datetime) -> None:
    """Count the attempt about to be made, and when to try again if it never reports back."""
    row.attempts += 1
    row.last_attempt_at = now
    row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
