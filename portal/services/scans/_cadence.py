"""When a customer's next scheduled scan starts, and who may change it (cadence, window, suspension).

- :func:`next_scan_time`: the interval after a scan, plus a jitter, moved into the customer's time
  window if it has one. Pure; the scheduler and onboarding call it.
- :func:`set_schedule` / :func:`set_suspended`: through the definer functions of migration 0017, which
  check the signed scope's user again (MSP admins, analysts at the Manage tier; suspension is the MSP
  admin's alone), each change in the audit trail.

Decisions:
- The jitter is up to a tenth of the interval (at most two hours), derived from the customer id and
  the due day, not drawn at random: a thousand customers onboarded in one afternoon spread over the
  night instead of hitting the workers (and Microsoft) in the same minute, and a test can say where a
  given customer lands. It only ever delays a scan, so two scans are never closer than the interval.
- A window bounds when a scheduled scan *starts* (end hour exclusive; ``22`` to ``5`` runs over
  midnight), in the customer's own time zone, so "outside office hours" stays right across DST.
  A scan due outside it moves to the next opening, plus a jitter within the first half of the window.
- A suspended customer is not scanned: the scheduler skips it, "Scan now" and re-verify refuse it,
  and a worker that gets an older message for it fails that scan with the reason. Resuming puts it on
  the schedule at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import text as sql

from portal.db.models import Customer
from portal.db.uow import UnitOfWork
from portal.services.accounts import Action, CustomerAccess, MembershipView, may
from portal.services.audit import record_event
from portal.services.errors import Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

__all__ = ["CADENCES", "ScanWindow", "may_schedule", "next_scan_time", "set_schedule", "set_suspended", "window_of"]

#: The cadences offered, in hours, with their names (any whole number of hours from 1 to 744 is valid).
CADENCES = {6: "Every 6 hours", 12: "Every 12 hours", 24: "Daily", 72: "Every 3 days", 168: "Weekly"}
_MAX_JITTER = dt.timedelta(hours=2)


@dataclass(frozen=True)
class ScanWindow:
    """Scheduled scans start from ``start`` up to (not including) ``end``, hours in ``timezone``."""

    start: int
    end: int
    timezone: str

    def __post_init__(self) -> None:
        if not (0 <= self.start <= 23 and 0 <= self.end <= 23) or self.start == self.end:
            raise InvalidInput("a scan window is two different hours from 0 to 23")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {self.timezone[:64]!r} (for example Europe/London)") from None

    @property
    def hours(self) -> int:
        return (self.end - self.start) % 24

    def holds(self, moment: dt.datetime) -> bool:
        hour = moment.astimezone(zoneinfo.ZoneInfo(self.timezone)).hour
        return (hour - self.start) % 24 < self.hours

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """The first start of the window after ``moment``."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        opening = local.replace(hour=self.start, minute=0, second=0, microsecond=0)
        if opening <= local:
            opening = (local + dt.timedelta(days=1)).replace(hour=self.start, minute=0, second=0, microsecond=0)
        # Rebuilt from wall-clock fields so the day's own UTC offset applies (DST).
        return dt.datetime(opening.year, opening.month, opening.day, self.start, tzinfo=zone).astimezone(dt.UTC)


def window_of(customer: Customer) -> ScanWindow | None:
    """The customer's window; None when it has none, or when what is stored cannot be read (a zone
    this Python does not know): then the scan keeps its cadence, without a window, and says so."""
    if customer.scan_window_start is None or customer.scan_window_end is None:
        return None
    try:
        return ScanWindow(customer.scan_window_start, customer.scan_window_end, customer.scan_timezone or "UTC")
    except InvalidInput as exc:
        log.warning("scan window ignored: %s", exc, extra={"customer_id": str(customer.id)})
        return None


def _fraction(customer_id: uuid.UUID, moment: dt.datetime) -> float:
    digest = hashlib.sha256(customer_id.bytes + moment.date().isoformat().encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def next_scan_time(after: dt.datetime, *, interval_hours: int, customer_id: uuid.UUID,
                   window: ScanWindow | None = None) -> dt.datetime:
    """When the scan after one at ``after`` is due: the interval, a jitter, then the window."""
    interval = dt.timedelta(hours=interval_hours)
    due = after + interval
    fraction = _fraction(customer_id, due)
    due += min(interval / 10, _MAX_JITTER) * fraction
    if window is None or window.holds(due):
        return due
    opening = window.next_opening(due)
    return opening + min(dt.timedelta(hours=window.hours) / 2, _MAX_JITTER) * fraction


def _customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = uow.session.scalar(select(Customer).where(Customer.id == customer_id))
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def _access(customer: Customer) -> CustomerAccess:
    return CustomerAccess(customer.id, customer.msp_id, customer.access_tier, frozenset(customer.tags or ()))


def may_schedule(caller: MembershipView, customer: CustomerAccess) -> bool:
    """MSP admins, and staff who may manage the customer's connection (the Manage tier): as migration 0017."""
    return may(caller, Action.MANAGE_CUSTOMERS) or may(caller, Action.MANAGE_CONNECTION, customer)


def set_schedule(uow: UnitOfWork, caller: MembershipView, customer_id: uuid.UUID, *, interval_hours: int,
                 window: ScanWindow | None, now: dt.datetime) -> None:
    """Set the customer's cadence and window; its next scheduled scan moves to match.

    Raises:
        NotFound: no such customer in the caller's scope.
        Forbidden: the caller may not change this customer's schedule.
        InvalidInput: an interval outside 1 hour to 31 days.
    """
    customer = _customer(uow, customer_id)
    if not may_schedule(caller, _access(customer)):
        raise Forbidden("only MSP admins, and staff at the Manage tier, change a tenant's scan schedule")
    if not 1 <= interval_hours <= 744:
        raise InvalidInput("scan every 1 hour to 31 days")
    before = {"interval_hours": customer.scan_interval_hours, "window": _described(window_of(customer))}
    after = {"interval_hours": interval_hours, "window": _described(window)}
    if before == after:
        return
    uow.session.execute(sql("SELECT posture_set_schedule(:c, :i, CAST(:s AS smallint), CAST(:e AS smallint), :z)"), {
        "c": customer_id, "i": interval_hours, "s": window.start if window else None,
        "e": window.end if window else None, "z": window.timezone if window else "UTC"})
    uow.session.refresh(customer)
    if customer.next_scan_at is not None:
        base = customer.last_scan_at or now
        customer.next_scan_at = max(now, next_scan_time(base, interval_hours=interval_hours, customer_id=customer.id,
                                                         window=window))
    record_event(uow, customer_id=customer_id, action="customer.schedule_changed", target=f"customer:{customer_id}",
                 details={"before": before, "after": after})


def set_suspended(uow: UnitOfWork, caller: MembershipView, customer_id: uuid.UUID, *, suspended: bool) -> bool:
    """Suspend (no scans at all) or resume the customer; False when it already was.

    Raises:
        NotFound: no such customer in the caller's scope.
        Forbidden: the caller is not an MSP admin.
    """
    customer = _customer(uow, customer_id)
    if not may(caller, Action.MANAGE_CUSTOMERS, None):
        raise Forbidden("only MSP admins suspend and resume customers")
    changed = bool(uow.session.scalar(sql("SELECT posture_set_suspended(:c, :s)"),
                                      {"c": customer_id, "s": suspended}))
    if changed:
        record_event(uow, customer_id=customer_id, action="customer.suspended" if suspended else "customer.resumed",
                     target=f"customer:{customer_id}", details={})
        uow.session.refresh(customer)
    return changed


def _described(window: ScanWindow | None) -> str | None:
    return f"{window.start:02d}:00-{window.end:02d}:00 {window.timezone}" if window else None
