"""The fleet's rows: one per visible customer with its last scan, score, open failures and trend."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, event

from portal.db.models import ConnectionState, ScanStatus
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.fleet import FleetQuery, FleetRow, TrendPoint, fleet_view, with_trends
from portal.services.scans import record_scan
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    disconnected_result,
    insert_scan,
    make_customer,
    make_msp,
    scan_result,
)

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)


def record(app_engine: Engine, owner_engine: Engine, seeded: object, result: object) -> None:
    scan_id = insert_scan(owner_engine, seeded, status="running")  # type: ignore[arg-type]
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:  # type: ignore[attr-defined]
        record_scan(uow, scan_id, result)  # type: ignore[arg-type]


def test_the_fleet_page_is_two_statements_whatever_the_fleet(app_engine: Engine, owner_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    alpha = make_customer(owner_engine, msp_id, name="Alpha")
    beta = make_customer(owner_engine, msp_id, name="Beta", state=ConnectionState.PENDING_CONSENT)
    make_customer(owner_engine, make_msp(owner_engine), name="Aardvark (another MSP)")
    old = T0 - dt.timedelta(days=40)  # outside the trend window
    record(app_engine, owner_engine, alpha, scan_result({CRITICAL: Status.PASS}, started_at=old))
    yesterday = scan_result({CRITICAL: Status.PASS, HIGH: Status.PASS}, started_at=T0 - dt.timedelta(days=1))
    record(app_engine, owner_engine, alpha, yesterday)
    last_scored = scan_result({CRITICAL: Status.FAIL, HIGH: Status.FAIL, MEDIUM: Status.FAIL}, started_at=T0)
    record(app_engine, owner_engine, alpha, last_scored)
    record(app_engine, owner_engine, alpha, disconnected_result(started_at=T0 + dt.timedelta(hours=1)))

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        event.listen(uow.session.connection(), "before_cursor_execute", count)
        rows = fleet_view(uow, FleetQuery(), NOW).rows
        event.remove(uow.session.connection(), "before_cursor_execute", count)

    assert len(statements) == 2  # the KPI figures, and the page's rows
    assert [r.name for r in rows] == ["Alpha", "Beta"]
    a, b = rows
    assert a.last_scan_status is ScanStatus.DISCONNECTED
    assert a.last_scan_at == T0 + dt.timedelta(hours=1, seconds=2)
    assert (a.score, a.grade, a.scored_at) == (0.0, "F", last_scored.finished_at)
    assert (a.open_critical, a.open_high) == (1, 1)
    # New since the last scan: the critical and the high check passed the scan before and fail now; the
    # medium one was read for the first time, with no earlier reading to be new against.
    assert a.new_failing == 2
    assert a.trend == ()  # trends are read for the rows a page shows, in one more statement
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        [shown] = with_trends(uow, [a], today=TODAY)
    assert shown.trend == (TrendPoint(T0.date() - dt.timedelta(days=1), 100.0), TrendPoint(T0.date(), 0.0))
    assert a.score_before == 100.0  # the latest daily score a week or more before TODAY: 40 days ago

    assert b == FleetRow(
        customer_id=beta.customer_id, name="Beta", tenant_id=beta.tenant_id,
        connection_state=ConnectionState.PENDING_CONSENT, connection_reason=None, missing_permissions=(),
        last_scan_at=None, last_scan_status=None, score=None, grade=None, coverage=None, scored_at=None,
        open_critical=0, open_high=0, trend=())


def test_a_scan_finishing_late_does_not_move_the_fleet_figures_back(app_engine: Engine, owner_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, name="Late")
    newer = scan_result({CRITICAL: Status.PASS, HIGH: Status.PASS}, started_at=T0)
    older = scan_result({CRITICAL: Status.FAIL, HIGH: Status.FAIL}, started_at=T0 - dt.timedelta(hours=6))
    record(app_engine, owner_engine, seeded, newer)
    record(app_engine, owner_engine, seeded, older)  # started earlier, recorded later
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        [row] = fleet_view(uow, FleetQuery(), NOW).rows
    assert (row.score, row.scored_at, row.last_scan_at) == (100.0, newer.finished_at, newer.finished_at)
    assert (row.open_critical, row.open_high) == (0, 0)  # the projection kept the newer verdicts
