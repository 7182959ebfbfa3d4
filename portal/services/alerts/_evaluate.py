"""Raising and clearing alerts from what a scan did, in the transaction that records it.

Called by ``record_scan`` (with the scan's changes, the score and the connection before and after)
and by ``fail_scan`` (a failed scan). Each rule of the customer's MSP that applies (its tag, if any,
on the customer) is judged:

============== ==================================================== ===================================
condition      opens (one alert per rule, customer and check)        clears
============== ==================================================== ===================================
new_critical   a critical check newly failing (new or regressed)    that check passes
regressed      a check that passed fails                            that check passes
score_drop     the score fell more than N points in one scan        the score is back within N of the
                                                                    score before the drop
connection_lost the tenant is disconnected                          the tenant is connected again
scan_failing   the last N scans all failed                          a scan is recorded
============== ==================================================== ===================================

Dedup is the database's: the partial unique index on open alerts makes the insert a no-op while one
is open (``ON CONFLICT DO NOTHING``), so a flapping tenant, a redelivered scan message or two workers
at once never send a second alert for the same thing. Each alert opened or cleared puts a delivery in
the outbox (``alert_deliveries``); the worker's tick sends it (``_deliver``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from portal.db.models import Alert, AlertChannel, AlertDelivery, AlertRule, Condition, ConnectionState, Scan, ScanStatus
from portal.db.uow import UnitOfWork

__all__ = ["ScanOutcome", "raise_alerts"]

_ALERTS: Table = Alert.__table__  # type: ignore[assignment]
ALERTS_ACTOR = "system:alerts"


@dataclass(frozen=True)
class ScanOutcome:
    """What one scan did to one customer, as the alert rules read it."""

    msp_id: uuid.UUID
    customer_id: uuid.UUID
    tags: frozenset[str]
    scan_id: uuid.UUID
    failed: bool = False
    score_before: float | None = None
    score_after: float | None = None
    state_before: ConnectionState | None = None
    state_after: ConnectionState | None = None
    #: (check id, change kind, severity) of each change the scan logged (``portal.services.drift``).
    changes: Sequence[tuple[str, str, str]] = field(default_factory=tuple)


def _rules(uow: UnitOfWork, tags: frozenset[str]) -> list[AlertRule]:
    query = (select(AlertRule).join(AlertChannel, AlertChannel.id == AlertRule.channel_id)
             .where(AlertRule.deleted_at.is_(None), AlertChannel.deleted_at.is_(None)))
    return [r for r in uow.session.scalars(query) if r.tag is None or r.tag in tags]


def raise_alerts(uow: UnitOfWork, outcome: ScanOutcome, *, now: dt.datetime) -> int:
    """Open and clear the alerts ``outcome`` calls for; returns how many deliveries were queued."""
    queued = 0
    for rule in _rules(uow, outcome.tags):
        opens, clears = _judge(uow, rule, outcome)
        for check_id, details in opens:
            queued += _open(uow, rule, outcome, check_id, details, now)
        for check_id in clears:
            queued += _clear(uow, rule, outcome, check_id, now)
    return queued


def _judge(uow: UnitOfWork, rule: AlertRule, o: ScanOutcome) -> tuple[list[tuple[str, dict[str, object]]], list[str]]:
    condition = Condition(rule.condition)
    fixed = [check for check, kind, _ in o.changes if kind == "fixed"]
    if condition is Condition.NEW_CRITICAL:
        return [(c, {"kind": k}) for c, k, s in o.changes if k in ("new", "regressed") and s == "critical"], fixed
    if condition is Condition.REGRESSED:
        return [(c, {"kind": k, "severity": s}) for c, k, s in o.changes if k == "regressed"], fixed
    if condition is Condition.SCORE_DROP:
        return _score_drop(uow, rule, o)
    if condition is Condition.CONNECTION_LOST:
        if o.state_after is ConnectionState.DISCONNECTED:
            return [("", {"state": o.state_after.value})], []
        if o.state_after in (ConnectionState.CONNECTED, ConnectionState.DEGRADED):
            return [], [""]
        return [], []
    # SCAN_FAILING
    if not o.failed:
        return [], [""]
    assert rule.threshold is not None
    last = list(uow.session.scalars(
        select(Scan.status).where(Scan.customer_id == o.customer_id, Scan.finished_at.is_not(None))
        .order_by(Scan.finished_at.desc()).limit(rule.threshold)))
    if len(last) == rule.threshold and all(s == ScanStatus.FAILED for s in last):
        return [("", {"failed_in_a_row": rule.threshold})], []
    return [], []


def _score_drop(uow: UnitOfWork, rule: AlertRule, o: ScanOutcome) -> tuple[list[tuple[str, dict[str, object]]],
                                                                          list[str]]:
    assert rule.threshold is not None
    if o.score_after is None:
        return [], []
    if o.score_before is not None and o.score_before - o.score_after > rule.threshold:
        return [("", {"from": o.score_before, "to": o.score_after})], []
    standing = uow.session.scalar(select(Alert.details).where(
        Alert.rule_id == rule.id, Alert.customer_id == o.customer_id, Alert.check_id == "", Alert.cleared_at.is_(None)))
    if standing is not None and o.score_after >= float(standing.get("from", 0)) - rule.threshold:
        return [], [""]
    return [], []


def _open(uow: UnitOfWork, rule: AlertRule, o: ScanOutcome, check_id: str, details: dict[str, object],
          now: dt.datetime) -> int:
    stmt = pg_insert(_ALERTS).values(
        id=uuid.uuid4(), msp_id=o.msp_id, customer_id=o.customer_id, rule_id=rule.id, condition=rule.condition,
        check_id=check_id, opened_at=now, details={**details, "scan_id": str(o.scan_id)},
    ).on_conflict_do_nothing(index_elements=["rule_id", "customer_id", "check_id"],
                             index_where=text("cleared_at IS NULL")).returning(_ALERTS.c.id)
    alert_id = uow.session.execute(stmt).scalar_one_or_none()
    if alert_id is None:
        return 0  # already open: one alert until it clears
    _deliver(uow, rule, o, alert_id, "opened")
    return 1


def _clear(uow: UnitOfWork, rule: AlertRule, o: ScanOutcome, check_id: str, now: dt.datetime) -> int:
    cleared = uow.session.execute(
        update(Alert).where(Alert.rule_id == rule.id, Alert.customer_id == o.customer_id, Alert.check_id == check_id,
                            Alert.cleared_at.is_(None)).values(cleared_at=now).returning(Alert.id)).scalars().all()
    for alert_id in cleared:
        _deliver(uow, rule, o, alert_id, "cleared")
    return len(cleared)


def _deliver(uow: UnitOfWork, rule: AlertRule, o: ScanOutcome, alert_id: uuid.UUID, event: str) -> None:
    uow.session.execute(insert(AlertDelivery).values(
        id=uuid.uuid4(), msp_id=o.msp_id, customer_id=o.customer_id, alert_id=alert_id, channel_id=rule.channel_id,
        event=event, created_by=ALERTS_ACTOR))
