"""Run one queued scan end to end: the body of the worker's ``scan_tenant`` actor, as a service.

Three steps, two short transactions and none while Microsoft is being read, all under a claim:

0. Claim the scan: a session advisory lock on the scan id, held on a connection of its own for the
   whole run (``pg_try_advisory_lock``), and a second one on the customer: one scan of a tenant at a
   time across every worker (a scheduled scan and a re-verify never read one tenant together, which
   is how per-tenant limits are tripped). A tenant already being scanned, or one Microsoft asked us to
   leave alone until ``customers.throttled_until``, makes the message come back later (``Throttled``,
   with the time to wait), before anything is marked running. A second delivery of the same scan while the first is
   alive (a broker that redelivers to a second consumer, the schedule's resend of a slow scan, a
   forged duplicate) finds it taken and returns without reading the tenant. If the holder dies, its
   connection closes and the lock goes with it, so the broker's redelivery takes over at once,
   with no lease to wait out. (A conditional ``UPDATE ... WHERE status = 'queued'`` would need a
   lease and a clock to tell a dead holder from a slow one; the database already knows which
   connections are alive.)
1. In one scoped unit of work: lock the scan row; if it is already final, return (a redelivered
   message finds its scan done: idempotent). Otherwise mark it ``running``, ``attempts + 1``; commit.
2. ``scanner.scan_tenant`` with the process's :class:`ScannerEnvironment`, outside any transaction
   (a scan takes seconds to minutes; a transaction held that long would pin a connection and locks),
   on the thread's ``scanner.ScanLoop``: the thread's scans share its event loop and its connections.
3. In one unit of work, :func:`record_scan`: every result, the projection, the trend, the scan's final
   status, the connection state and an audit event, or nothing (see ``_record``).

Errors, by what the caller does next:
- Transient (``TRANSIENT_ERRORS``: the identity service unavailable, still throttled, a service
  error) propagate: the worker retries the message with backoff. The scan stays ``running`` and the
  customer's state is untouched (a transient failure never flips it).
- Any other scanner error (``CredentialInvalid``: the platform's own credential is wrong, which no
  retry fixes and which says nothing about the customer; an unclassified token error) fails the
  scan with the error's reason, logged at ERROR because someone must act. The message then succeeds.
- ``NotFound`` (no such scan in scope) propagates: permanent; the worker dead-letters it.

:func:`mark_failed` is the dead-letter path: a message that exhausted its retries (or failed for a
reason retrying cannot fix) marks its scan ``failed`` with the reason, unless it became final.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, or_, select, text, update

from portal.db.models import Customer, Scan, ScanStatus
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services import log_context
from portal.services.alerts import ScanOutcome, raise_alerts
from portal.services.audit import record_event
from portal.services.baselines import rules_for
from portal.services.billing import billing_groups_of
from portal.services.customers import Connection
from portal.services.environment import ScannerEnvironment
from portal.services.errors import NotFound
from portal.services.scans._record import record_scan
from portal.services.scans._summary import note_finished
from scanner import (
    Check,
    ScanLoop,
    ScannerError,
    ScanResult,
    ServiceError,
    TenantConfig,
    Throttled,
    TransientAuthError,
    catalogue,
    scan_tenant,
)

__all__ = ["TRANSIENT_ERRORS", "WORKER_ACTOR", "ScanRun", "claim", "fail_scan", "mark_failed", "run_scan"]

log = logging.getLogger(__name__)

#: Scanner errors worth retrying later: nothing about the tenant or the platform is known to be wrong.
TRANSIENT_ERRORS: tuple[type[ScannerError], ...] = (TransientAuthError, Throttled, ServiceError)
#: Who the audit trail says acted when a worker scans.
WORKER_ACTOR = "system:worker"
#: Longest failure reason stored on a scan row.
_MAX_REASON = 2000
#: Longest hold a ``Retry-After`` can put on a tenant (a bogus header must not silence it for a day).
_MAX_HOLD_S = 15 * 60
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:high, :low)")
_UNLOCK = text("SELECT pg_advisory_unlock(:high, :low)")
#: First key of the per-tenant lock: "ptnt", apart from scan locks but for a 1-in-4-billion clash (which
#: only makes one scan wait its turn).
_TENANT_LOCK_SPACE = 0x70746E74
#: How long a message waits before trying a tenant that another scan is reading.
TENANT_BUSY_RETRY_S = 30.0


@dataclass(frozen=True)
class ScanRun:
    """What :func:`run_scan` did.

    Attributes:
        scan_id: the scan.
        status: its status afterwards.
        recorded: True when this call wrote the outcome; False when the scan was already final
            (a duplicate delivery) and nothing was written.
        connection: the customer's connection after the recorded scan (None when nothing was
            recorded, or the scan failed without reaching the tenant).
    """

    scan_id: uuid.UUID
    status: ScanStatus
    recorded: bool
    connection: Connection | None = None


def run_scan(
    engine: Engine, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID, *,
    scanner_env: ScannerEnvironment,
) -> ScanRun:
    """Scan the customer's tenant for queued scan ``scan_id`` and record the outcome (safe to run twice).

    Opens its own units of work (scoped to the one customer) on ``engine``, the application role's.

    Raises:
        TransientAuthError, Throttled, ServiceError: try again later (nothing was recorded).
        NotFound: the scan does not exist in this customer's scope.
    """
    scope = Scope.for_customer(msp_id, customer_id, actor=WORKER_ACTOR)
    with claim(engine, scan_id, tenant=customer_id) as claimed:
        if not claimed:
            log.info("scan is being run by another delivery; this one does nothing", extra={"scan_id": str(scan_id)})
            return ScanRun(scan_id, ScanStatus.RUNNING, recorded=False)
        with unit_of_work(engine, scope) as uow:
            scan, tenant_id, config, check_ids = _begin(uow, scan_id)
        if tenant_id is None:
            log.info("scan already finished, nothing to do", extra={"scan_id": str(scan_id), "status": scan.status})
            return ScanRun(scan_id, ScanStatus(scan.status), recorded=False)
        with log_context.bound(tenant_id=tenant_id):
            return _scan_and_record(engine, scan_id, msp_id, customer_id, tenant_id, scanner_env, config, check_ids)


@contextmanager
def claim(engine: Engine, scan_id: uuid.UUID, *, tenant: uuid.UUID | None = None) -> Iterator[bool]:
    """Hold the scan's advisory lock (and the tenant's, when given) for the block; yields False when
    another connection holds the scan's.

    The two-key form of the lock (two 32-bit halves of the scan id) keeps it apart from dramatiq-pg's
    one-key message locks.

    Raises:
        Throttled: the tenant is being scanned by another worker (try again in ``TENANT_BUSY_RETRY_S``).
    """
    keys = [_lock_keys(scan_id)]
    if tenant is not None:
        keys.append((_signed32(_TENANT_LOCK_SPACE), _signed32(tenant.int ^ (tenant.int >> 64))))
    with engine.connect() as connection:
        held = []
        try:
            for number, (high, low) in enumerate(keys):
                if not connection.execute(_TRY_LOCK, {"high": high, "low": low}).scalar_one():
                    connection.commit()
                    if number == 0:
                        break  # the scan is someone else's: nothing to wait for
                    raise Throttled(None, "tenant_busy", "another scan of this tenant is under way", "",
                                    retry_after_s=TENANT_BUSY_RETRY_S)
                held.append((high, low))
            connection.commit()  # the locks are the session's; no transaction stays open during the scan
            yield len(held) == len(keys)
        finally:
            for high, low in reversed(held):
                connection.execute(_UNLOCK, {"high": high, "low": low})
            connection.commit()


def _lock_keys(scan_id: uuid.UUID) -> tuple[int, int]:
    value = scan_id.int
    return _signed32(value >> 96), _signed32(value & 0xFFFFFFFF)


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _scan_and_record(
    engine: Engine, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID, tenant_id: str,
    scanner_env: ScannerEnvironment, config: TenantConfig, check_ids: list[str] | None,
) -> ScanRun:
    scope = Scope.for_customer(msp_id, customer_id, actor=WORKER_ACTOR)
    full = check_ids is None  # a full scan also reads the directory, and the groups the tenant is billed by
    with unit_of_work(engine, scope) as uow:
        groups = billing_groups_of(uow, customer_id) if full else []
    try:
        result = _thread_loop(scanner_env).run(
            lambda pool: _scan(tenant_id, scanner_env, config, check_ids, pool, directory=full, billing_groups=groups))
    except Throttled as exc:
        if exc.retry_after_s:
            _hold_tenant(engine, scope, customer_id, exc.retry_after_s)
        raise
    except TRANSIENT_ERRORS:
        raise
    except ScannerError as exc:
        reason = f"{exc.reason}: {exc.message}"
        log.error("scan failed, not retried: %s", reason, extra={"scan_id": str(scan_id)})
        failed = mark_failed(engine, scan_id, msp_id, customer_id, reason)
        return ScanRun(scan_id, ScanStatus.FAILED, recorded=failed)
    with unit_of_work(engine, scope) as uow:
        connection = record_scan(uow, scan_id, result)
    if connection is None:
        log.info("scan finished by another delivery first; results discarded", extra={"scan_id": str(scan_id)})
        return ScanRun(scan_id, _status(engine, scope, scan_id), recorded=False)
    log.info("scan recorded", extra={"scan_id": str(scan_id), "status": result.status, "score": result.score,
                                     "checks": len(result.checks), "requests": result.stats.requests})
    return ScanRun(scan_id, ScanStatus(result.status), recorded=True, connection=connection)


def fail_scan(uow: UnitOfWork, scan_id: uuid.UUID, reason: str) -> bool:
    """Mark the scan ``failed`` with ``reason`` in the caller's transaction; False if it is already final.

    Raises:
        NotFound: no such scan in the caller's scope.
    """
    scan = uow.session.scalars(select(Scan).where(Scan.id == scan_id).with_for_update(key_share=True)).one_or_none()
    if scan is None:
        raise NotFound(f"scan {scan_id} not found")
    if ScanStatus(scan.status).is_final:
        return False
    scan.status = ScanStatus.FAILED
    scan.failure_reason = reason[:_MAX_REASON]
    scan.finished_at = dt.datetime.now(dt.UTC)
    # Locked as record_scan locks it: the last-scan figures are compared with what is really there.
    customer = uow.session.get(Customer, scan.customer_id, with_for_update={"key_share": True})
    if customer is not None:
        note_finished(customer, scan)
    record_event(uow, customer_id=scan.customer_id, action="scan.failed", target=f"scan:{scan.id}",
                 details={"reason": reason[:_MAX_REASON], "attempts": scan.attempts})
    if customer is not None and customer.suspended_at is None:
        raise_alerts(uow, ScanOutcome(msp_id=scan.msp_id, customer_id=customer.id, tags=frozenset(customer.tags or ()),
                                      scan_id=scan.id, failed=True), now=scan.finished_at)
    return True


def mark_failed(engine: Engine, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID, reason: str) -> bool:
    """The dead-letter path: fail the scan with ``reason`` unless it is final or gone (then False).

    The customer's connection state is left alone: a failed scan says nothing about the tenant.
    """
    scope = Scope.for_customer(msp_id, customer_id, actor=WORKER_ACTOR)
    try:
        with unit_of_work(engine, scope) as uow:
            failed = fail_scan(uow, scan_id, reason)
    except NotFound:
        log.warning("dead-lettered scan not found", extra={"scan_id": str(scan_id)})
        return False
    if failed:
        log.warning("scan marked failed: %s", reason, extra={"scan_id": str(scan_id)})
    return failed


def _hold_tenant(engine: Engine, scope: Scope, customer_id: uuid.UUID, wait_s: float) -> None:
    """Tell every worker to leave the tenant alone for ``wait_s`` (Microsoft's ``Retry-After``)."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=min(wait_s, _MAX_HOLD_S))
    with unit_of_work(engine, scope) as uow:
        uow.session.execute(update(Customer).where(
            Customer.id == customer_id,
            or_(Customer.throttled_until.is_(None), Customer.throttled_until < until)).values(throttled_until=until))
    log.warning("tenant throttled: holding its scans", extra={"until": until.isoformat()})


def _begin(uow: UnitOfWork, scan_id: uuid.UUID) -> tuple[Scan, str | None, TenantConfig, list[str] | None]:
    """Lock the scan; unless final, mark it running. Returns the scan, the tenant id (None if final),
    the customer's choices the checks read (its recorded break-glass accounts, its baseline's settings)
    and the checks to run
    (None: all).

    Raises:
        Throttled: the tenant is held (``throttled_until``); nothing is changed.
    """
    found = uow.session.execute(
        select(Scan, Customer.tenant_id, Customer.break_glass_ids, Customer.throttled_until, Customer.suspended_at,
               Customer.tags, Customer.service_tier)
        .join(Customer, Customer.id == Scan.customer_id)
        .where(Scan.id == scan_id).with_for_update(of=Scan, key_share=True)
    ).one_or_none()
    if found is None:
        raise NotFound(f"scan {scan_id} not found")
    scan, tenant_id, break_glass, throttled_until, suspended_at, tags, tier = found
    # The customer's baseline may tighten what the checks accept (the Global Administrator range...).
    config = rules_for(uow, tags or (), tier).tenant_config(break_glass or ())
    if ScanStatus(scan.status).is_final:
        return scan, None, config, None
    if suspended_at is not None:  # queued before the customer was suspended
        fail_scan(uow, scan_id, "the customer is suspended: nothing is read from its tenant until it is resumed")
        return scan, None, config, None
    now = dt.datetime.now(dt.UTC)
    if throttled_until is not None and throttled_until > now:
        raise Throttled(None, "tenant_throttled", "Microsoft asked us to wait before reading this tenant again", "",
                        tenant_id=tenant_id, retry_after_s=(throttled_until - now).total_seconds())
    scan.status = ScanStatus.RUNNING
    scan.attempts = (scan.attempts or 0) + 1
    scan.started_at = now
    return scan, tenant_id, config, list(scan.check_ids) if scan.check_ids is not None else None


def _checks(env: ScannerEnvironment, check_ids: list[str] | None) -> list[Check] | None:
    """The process's checks, narrowed to a partial scan's (a check the catalogue no longer has is skipped)."""
    if check_ids is None:
        return list(env.checks) if env.checks is not None else None
    wanted = set(check_ids)
    return [c for c in (env.checks if env.checks is not None else catalogue()) if c.id in wanted]


async def _scan(tenant_id: str, env: ScannerEnvironment, config: TenantConfig, check_ids: list[str] | None,
                pool: httpx.AsyncBaseTransport, *, directory: bool, billing_groups: list[str]) -> ScanResult:
    return await scan_tenant(
        tenant_id, tokens=env.tokens, graph_url=env.graph_url, exchange_url=env.exchange_url,
        checks=_checks(env, check_ids), config=config, options=env.options,
        ca_bundle=env.ca_bundle, dns_resolver=env.dns_resolver, directory=directory, billing_groups=billing_groups,
        request_budget=env.request_budget, pool=pool,
    )


_THREAD = threading.local()


def _thread_loop(env: ScannerEnvironment) -> ScanLoop:
    """This thread's :class:`scanner.ScanLoop` for ``env``'s CA bundle: a worker thread's scans, one after
    another, share its event loop and its connections to Graph and Exchange (``scanner._loop``)."""
    loop: ScanLoop | None = getattr(_THREAD, "loop", None)
    if loop is None or loop.ca_bundle != env.ca_bundle:
        if loop is not None:
            loop.close()
        loop = _THREAD.loop = ScanLoop(env.ca_bundle)
    return loop


def _status(engine: Engine, scope: Scope, scan_id: uuid.UUID) -> ScanStatus:
    with unit_of_work(engine, scope) as uow:
        return ScanStatus(uow.session.scalars(select(Scan.status).where(Scan.id == scan_id)).one())
