"""Queue scans: on demand (:func:`start_scan`) and from the schedule (:func:`enqueue_due_scans`).

Decisions:
- The scan row is inserted in the caller's transaction and the message is sent from an after-commit
  hook, so a worker never looks for a row that was rolled back (the warehouse pattern in STYLE.md).
  If the broker is down at that moment the row stays ``queued`` and the caller sees the error; the
  schedule does not pile more scans on a customer with a recent unfinished one, and sends the
  message again once the scan has been stranded for ``STRANDED_AFTER`` (:func:`resend_stranded_scans`).
- Due customers are read with ``FOR UPDATE SKIP LOCKED``: two schedulers running at once (several
  worker hosts each tick) split the customers instead of both scanning them.
- ``next_scan_at`` moves to ``now + scan_interval_hours`` (not ``next_scan_at + interval``), plus the
  customer's jitter and window (``_cadence``): after an outage the fleet is scanned once, not once per
  missed interval. Suspended customers are not scheduled.
- Customers still ``pending_consent`` are not scheduled: there is nothing to read until consent is
  granted (onboarding starts their first scan). Disconnected customers are: a re-granted consent
  is then noticed without anyone asking.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid

from sqlalchemy import exists, func, insert, select

from portal.db.models import ConnectionState, Customer, Scan, ScanStatus, ScanTrigger
from portal.db.uow import UnitOfWork
from portal.services.audit import record_event
from portal.services.errors import Conflict, NotFound
from portal.services.scans._cadence import next_scan_time, window_of
from portal.services.scans._queue import ScanQueue
from portal.services.scans._run import fail_scan
from portal.services.service_status import msp_suspension

__all__ = ["MAX_RESENDS", "SCAN_COOLDOWN", "STRANDED_AFTER", "ScanRefused", "due_customers", "enqueue_due_scans",
           "request_scan", "resend_stranded_scans", "start_scan"]

log = logging.getLogger(__name__)

_ACTIVE = (ScanStatus.QUEUED, ScanStatus.RUNNING)

#: A scan still queued or running this long after it was queued has lost its message (the broker was
#: down when it was sent, or a broker without redelivery lost a dead worker's message): the scan actor's
#: time limit (10 min) plus retries with backoff stay well inside it.
STRANDED_AFTER = dt.timedelta(hours=1)
#: How often a person may ask for a scan of one tenant ("Scan now"): the scan reads dozens of Graph
#: endpoints, and Microsoft's throttling is per tenant and app.
SCAN_COOLDOWN = dt.timedelta(minutes=5)
#: Re-sends of one stranded scan before it is failed: three hours of a worker fleet that cannot finish it.
MAX_RESENDS = 3


def start_scan(uow: UnitOfWork, customer_id: uuid.UUID, trigger: ScanTrigger, *, queue: ScanQueue) -> Scan:
    """Insert a queued scan of one customer; its message is sent once the transaction commits.

    Raises:
        NotFound: no such customer in the caller's scope.
    """
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    scan = _queue_scan(uow, customer, ScanTrigger(trigger), queue)
    record_event(uow, customer_id=customer.id, action="scan.requested", target=f"scan:{scan.id}",
                 details={"trigger": scan.trigger.value})
    return scan


class ScanRefused(Conflict):
    """A "Scan now" the customer cannot take yet: one is already under way, or one ran moments ago."""

    def __init__(self, message: str, *, wait_s: int = 0, active_scan: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s
        self.active_scan = active_scan


def request_scan(uow: UnitOfWork, customer_id: uuid.UUID, *, queue: ScanQueue, now: dt.datetime,
                 cooldown: dt.timedelta = SCAN_COOLDOWN) -> Scan:
    """A person's "Scan now": :func:`start_scan`, at most one under way and one per ``cooldown``.

    The customer's row is locked while deciding, so two clicks (or two analysts) make one scan.

    Raises:
        NotFound: no such customer in the caller's scope.
        ScanRefused: a scan is queued or running (``active_scan``), or the last one was asked for
            less than ``cooldown`` ago (``wait_s``).
    """
    customer = uow.session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if customer.operator_suspended_at is not None or msp_suspension(uow) is not None:
        raise ScanRefused("the service is suspended by the platform operator: no scans until it is reactivated")
    if customer.suspended_at is not None:
        raise ScanRefused("this customer is suspended: an MSP admin resumes it from its page")
    if customer.tenant_id is None:
        raise ScanRefused("this customer's tenant is not connected yet: its administrator must grant consent first")
    active = uow.session.scalar(select(Scan.id).where(
        Scan.customer_id == customer_id, Scan.status.in_(_ACTIVE), Scan.queued_at >= now - STRANDED_AFTER))
    if active is not None:
        raise ScanRefused("a scan of this tenant is under way", active_scan=active)
    last = uow.session.scalar(select(func.max(Scan.queued_at)).where(Scan.customer_id == customer_id,
                                                                     Scan.trigger == ScanTrigger.MANUAL))
    if last is not None and now - last < cooldown:
        wait_s = int((cooldown - (now - last)).total_seconds()) + 1
        raise ScanRefused(f"this tenant was scanned moments ago: try again in {wait_s} seconds", wait_s=wait_s)
    return start_scan(uow, customer_id, ScanTrigger.MANUAL, queue=queue)


def due_customers(uow: UnitOfWork, now: dt.datetime, *, limit: int | None = None) -> list[Customer]:
    """Customers in scope whose ``next_scan_at`` has come, locked (``SKIP LOCKED``) for this transaction."""
    query = (
        select(Customer)
        .where(Customer.next_scan_at.is_not(None), Customer.next_scan_at <= now,
               Customer.connection_state != ConnectionState.PENDING_CONSENT, Customer.suspended_at.is_(None))
        .order_by(Customer.next_scan_at)
        .with_for_update(skip_locked=True)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(uow.session.scalars(query))


def enqueue_due_scans(uow: UnitOfWork, now: dt.datetime, *, queue: ScanQueue, limit: int | None = None) -> list[Scan]:
    """Queue a scheduled scan for every due customer in scope and move its ``next_scan_at`` on.

    A customer whose previous scan is still queued or running (and started within its interval) is
    not given a second one; its next scan time still moves on.
    """
    scans = []
    for customer in due_customers(uow, now, limit=limit):
        customer.next_scan_at = next_scan_time(now, interval_hours=customer.scan_interval_hours,
                                               customer_id=customer.id, window=window_of(customer))
        if _has_recent_active_scan(uow, customer, now):
            log.info("scheduled scan skipped: previous scan unfinished", extra={"customer_id": str(customer.id)})
            continue
        scans.append(_queue_scan(uow, customer, ScanTrigger.SCHEDULE, queue))
    return scans


def resend_stranded_scans(uow: UnitOfWork, now: dt.datetime, *, queue: ScanQueue) -> list[uuid.UUID]:
    """Send again the message of every scan in scope that has been queued or running for too long.

    A scan is stranded when ``STRANDED_AFTER`` has passed since it was queued or last re-sent; it is
    re-sent at most ``MAX_RESENDS`` times (``resend_count``, ``resent_at``), then failed with a reason.
    Safe because the scan actor is idempotent and claims the scan: if the original message was only
    slow, the second delivery finds the scan taken or final and writes nothing. Each resend and each
    such failure is in the audit trail.
    """
    cutoff = now - STRANDED_AFTER
    stranded = list(uow.session.scalars(
        select(Scan).where(Scan.status.in_(_ACTIVE), func.coalesce(Scan.resent_at, Scan.queued_at) < cutoff)
        .order_by(Scan.queued_at).with_for_update(skip_locked=True)))
    resent = []
    for scan in stranded:
        if scan.resend_count >= MAX_RESENDS:
            fail_scan(uow, scan.id, f"stranded: no worker finished the scan after {scan.resend_count} re-sends of "
                                    "its message; check that workers run and can reach the broker")
            continue
        scan.resend_count += 1
        scan.resent_at = now
        scan_id, customer_id = scan.id, scan.customer_id
        uow.after_commit(functools.partial(queue, scan_id=scan_id, msp_id=scan.msp_id, customer_id=customer_id))
        record_event(uow, customer_id=customer_id, action="scan.resent", target=f"scan:{scan_id}",
                     details={"status": scan.status.value, "queued_at": scan.queued_at.isoformat(),
                              "resend": scan.resend_count})
        resent.append(scan_id)
    if stranded:
        log.warning("stranded scans handled", extra={"resent": len(resent), "failed": len(stranded) - len(resent)})
    return resent


def _has_recent_active_scan(uow: UnitOfWork, customer: Customer, now: dt.datetime) -> bool:
    since = now - dt.timedelta(hours=customer.scan_interval_hours)
    query = select(exists().where(Scan.customer_id == customer.id, Scan.status.in_(_ACTIVE), Scan.queued_at >= since))
    return bool(uow.session.scalar(query))


def _queue_scan(uow: UnitOfWork, customer: Customer, trigger: ScanTrigger, queue: ScanQueue) -> Scan:
    # Only the ids and the trigger: the portal's role may insert nothing else (migration 0002); status,
    # attempts and the queue time are the database's defaults, read back with RETURNING.
    scan = uow.session.scalars(insert(Scan).values(id=uuid.uuid4(), msp_id=customer.msp_id, customer_id=customer.id,
                                                   trigger=trigger).returning(Scan)).one()
    scan_id, msp_id, customer_id = scan.id, customer.msp_id, customer.id
    uow.after_commit(lambda: queue(scan_id=scan_id, msp_id=msp_id, customer_id=customer_id))
    return scan
