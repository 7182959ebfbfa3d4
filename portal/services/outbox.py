"""The outbox both alert deliveries and email summaries use: rows that a tick leases and a worker sends.

An outbox row has ``status`` (``pending`` until it is sent or given up), ``attempts``,
``next_attempt_at``, ``leased_at`` and ``last_attempt_at``. Its life:

- :func:`lease_due` (the worker's tick, every minute): every pending row whose time has come is leased
  for ``LEASE`` and handed to the queue after commit. A worker killed mid-send leaves the lease to run
  out, and a later tick hands the row out again.
- the worker claims the row (``SKIP LOCKED``) only while it is pending and not attempted since the tick
  handed it out (:func:`attempted_since_lease`): a redelivered message, or two at once, send once.
- :func:`count_attempt` before it sends: a worker killed mid-send uses up an attempt instead of
  leaving the row pending forever. While the attempt may be in flight the row is held for
  ``IN_FLIGHT`` (longer than any sending actor's time limit), so a slow relay is never handed a second
  copy by the next tick; when the attempt fails, :func:`retry_later` makes it due after its ``BACKOFF``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from sqlalchemy import select

from portal.db.uow import UnitOfWork

__all__ = ["BACKOFF", "IN_FLIGHT", "LEASE", "MAX_ATTEMPTS", "OutboxQueue", "attempted_since_lease", "count_attempt",
           "lease_due", "retry_later", "settle"]

MAX_ATTEMPTS = 6
#: After the n-th attempt fails (or never reports), the row is due again this much later.
BACKOFF = (dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=8), dt.timedelta(minutes=30),
           dt.timedelta(hours=2))
#: How long a handed-out row is left to its worker before the tick hands it out again.
LEASE = dt.timedelta(minutes=5)
#: How long an attempt holds its row: more than the sending actors' time limits (2 minutes at most).
IN_FLIGHT = dt.timedelta(minutes=5)


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
    """Count the attempt about to be made, and hold the row while it may be in flight (if it never
    reports back, the row is due again once the hold ends)."""
    row.attempts += 1
    row.last_attempt_at = now
    row.next_attempt_at = now + IN_FLIGHT


def retry_later(row: Any, now: dt.datetime) -> None:
    """The attempt failed and may be tried again: due after its backoff."""
    row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]


def settle(row: Any, attempt: int, *, sent: bool, retry: bool, now: dt.datetime) -> bool:
    """Close attempt ``attempt`` of ``row`` (locked by the caller): sent, given up, or due after its
    backoff. False, and nothing changed, when the row has moved on (a later attempt's answer is the one
    to keep); the caller then writes none of its own columns either."""
    if row.status != "pending" or row.attempts != attempt:
        return False
    if sent:
        row.status, row.sent_at = "sent", now
    elif not retry or row.attempts >= MAX_ATTEMPTS:
        row.status = "gave_up"
    else:
        retry_later(row, now)
    return True
