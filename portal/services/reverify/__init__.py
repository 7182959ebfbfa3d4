"""Re-verify a search's answer now: the checks involved run again on every tenant it named.

:func:`start_reverify` reads the answer from the projection (``portal.services.search``), queues one
partial scan per tenant with only the checks of that tenant's matching findings (``scans.check_ids``:
a few requests each, not a full scan), records the run, and after commit hands every scan to the
queue at once (a Dramatiq group, ``config.messages.BrokerScanGroup``). Workers scan the tenants in
parallel; the scans service records each as it ends, which updates the projection and the customer's
score; :func:`reverify_progress` reads how far it got, for the page that polls it.

Decisions:
- A tenant is left out (counted as skipped) when the caller may not start scans on it (the Monitor
  tier), when it is not connected yet or is suspended, or when a scan of it is already under way (that scan will
  bring the same checks up to date).
- A run covers at most ``MAX_TENANTS`` tenants; a larger answer is refused with a message that says
  to narrow it (two cores of workers re-verify about a thousand tenants a minute: bench/reverify.py).
- Throttling is per tenant and shared by every worker (``scans._run``): one scan of a tenant at a time,
  and a tenant Microsoft throttled is left alone until ``customers.throttled_until``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import exists, func, insert, select

from portal.db.models import Customer, LatestResult, ReverifyRun, Scan, ScanStatus, ScanTrigger
from portal.db.uow import UnitOfWork
from portal.services.accounts import Action, CustomerAccess, MembershipView, may
from portal.services.errors import InvalidInput, NotFound
from portal.services.scans import STRANDED_AFTER
from portal.services.search import matching_targets
from portal.services.service_status import msp_suspension

__all__ = ["MAX_TENANTS", "ReverifyFinished", "ReverifyProgress", "ReverifyStarted", "ScanGroup", "reverify_progress",
           "start_reverify"]

#: Tenants in one re-verify at most.
MAX_TENANTS = 5000
_ACTIVE = (ScanStatus.QUEUED, ScanStatus.RUNNING)


class ScanGroup(Protocol):
    """Send many "scan this tenant" messages as one group. Called after commit."""

    def __call__(self, scans: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
        """``scans``: (scan id, MSP id, customer id) each."""


@dataclass(frozen=True)
class ReverifyStarted:
    run_id: uuid.UUID
    tenants: int
    skipped: int
    check_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReverifyFinished:
    """A tenant whose scan ended: its status and, for each check run, the verdict it recorded."""

    customer_id: uuid.UUID
    name: str
    status: str
    verdicts: dict[str, str]


@dataclass(frozen=True)
class ReverifyProgress:
    run_id: uuid.UUID
    query: str
    check_ids: tuple[str, ...]
    tenants: int
    skipped: int
    by_status: dict[str, int]
    finished: tuple[ReverifyFinished, ...]
    created_at: dt.datetime

    @property
    def done(self) -> int:
        return sum(n for status, n in self.by_status.items() if ScanStatus(status).is_final)

    @property
    def complete(self) -> bool:
        return self.done >= sum(self.by_status.values())


def start_reverify(uow: UnitOfWork, membership: MembershipView, *, actor: str, query: str, now: dt.datetime,
                   send: ScanGroup) -> ReverifyStarted:
    """Queue a partial scan of each tenant ``query`` matches, with that tenant's matching checks.

    Raises:
        SearchSyntaxError: the query does not read.
        InvalidInput: the answer names no tenant that can be scanned, or more than ``MAX_TENANTS``.
    """
    targets = matching_targets(uow, query, now=now)
    if len(targets) > MAX_TENANTS:
        raise InvalidInput(f"this search names {len(targets)} tenants; re-verify at most {MAX_TENANTS} at once "
                           "(narrow it with tag:, tier: or customer:)")
    busy = exists().where(Scan.customer_id == Customer.id, Scan.status.in_(_ACTIVE),
                          Scan.queued_at >= now - STRANDED_AFTER)
    rows = uow.session.execute(select(Customer.id, Customer.msp_id, Customer.tenant_id, Customer.access_tier,
                                      Customer.tags, busy.label("busy"), Customer.suspended_at)
                               .where(Customer.id.in_(list(targets)))).all()
    held = msp_suspension(uow) is not None  # the operator suspended the MSP: nothing may be scanned
    chosen = [r for r in rows if not held and r.tenant_id and not r.busy and r.suspended_at is None and may(
        membership, Action.START_SCAN, CustomerAccess(r.id, r.msp_id, r.access_tier, frozenset(r.tags or ())))]
    if not chosen:
        raise InvalidInput("none of the tenants this search names can be re-verified now: they are not connected "
                           "or suspended, a scan of each is under way, or your access tier does not allow scans")
    check_ids = tuple(sorted({check for r in chosen for check in targets[r.id]}))
    run_id = uuid.uuid4()
    uow.session.execute(insert(ReverifyRun).values(
        id=run_id, msp_id=membership.msp_id, created_by=actor, query=query, check_ids=list(check_ids),
        tenants=len(chosen), skipped=len(targets) - len(chosen)))
    scans = [(uuid.uuid4(), r.msp_id, r.id) for r in chosen]
    uow.session.execute(insert(Scan).values([
        {"id": scan_id, "msp_id": msp_id, "customer_id": customer_id, "trigger": ScanTrigger.REVERIFY,
         "check_ids": list(targets[customer_id]), "reverify_id": run_id}
        for scan_id, msp_id, customer_id in scans]))
    uow.after_commit(lambda: send(scans))
    return ReverifyStarted(run_id, len(chosen), len(targets) - len(chosen), check_ids)


def reverify_progress(uow: UnitOfWork, run_id: uuid.UUID, *, finished_limit: int = 200) -> ReverifyProgress:
    """How far the run got, over the tenants the caller sees; the latest finished ones with their verdicts.

    Raises:
        NotFound: no such run in the caller's MSP (or the caller is not MSP staff).
    """
    run = uow.session.get(ReverifyRun, run_id)
    if run is None:
        raise NotFound("no such re-verify")
    counts = Counter({ScanStatus(status).value: n for status, n in uow.session.execute(
        select(Scan.status, func.count()).where(Scan.reverify_id == run_id).group_by(Scan.status))})
    ended = uow.session.execute(
        select(Scan.id, Scan.customer_id, Customer.name, Scan.status)
        .join(Customer, Customer.id == Scan.customer_id)
        .where(Scan.reverify_id == run_id, Scan.finished_at.is_not(None))
        .order_by(Scan.finished_at.desc()).limit(finished_limit)).all()
    verdicts: dict[uuid.UUID, dict[str, str]] = {}
    if ended:
        for scan_id, check_id, status in uow.session.execute(
                select(LatestResult.scan_id, LatestResult.check_id, LatestResult.status)
                .where(LatestResult.scan_id.in_([e.id for e in ended]))):
            verdicts.setdefault(scan_id, {})[check_id] = status
    return ReverifyProgress(
        run_id=run.id, query=run.query, check_ids=tuple(run.check_ids), tenants=run.tenants, skipped=run.skipped,
        by_status=dict(counts), created_at=run.created_at,
        finished=tuple(ReverifyFinished(e.customer_id, e.name, ScanStatus(e.status).value, verdicts.get(e.id, {}))
                       for e in ended))
