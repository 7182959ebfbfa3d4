"""Recording a finished scan: projection, trend, idempotency and all-or-nothing, on a real database.

Everything runs as the application role through the real unit of work, so row-level security and
the grants apply. Scan results are built from real catalogue metadata (``support.scan_result``).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import AuditEvent, CheckResultRow, LatestResult, Scan, ScanStatus
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.scans import record_scan
from portal.services.scans.queries import get_scan, latest_results, scan_results, score_history
from scanner import Status
from tests.portal.services.support import CRITICAL, HIGH, MEDIUM, Seeded, insert_scan, scan_result, seeded_customer

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def scope(seeded: Seeded) -> Scope:
    return Scope.for_customer(seeded.msp_id, seeded.customer_id)


def record(app_engine: Engine, seeded: Seeded, scan_id: uuid.UUID, result: object) -> bool:
    with unit_of_work(app_engine, scope(seeded)) as uow:
        return record_scan(uow, scan_id, result)  # type: ignore[arg-type]


def latest(app_engine: Engine, seeded: Seeded) -> dict[str, LatestResult]:
    with unit_of_work(app_engine, scope(seeded)) as uow:
        return {row.check_id: row for row in latest_results(uow, seeded.customer_id)}


def scan_and_record(app_engine: Engine, owner_engine: Engine, seeded: Seeded, result: object) -> uuid.UUID:
    scan_id = insert_scan(owner_engine, seeded, status="running")
    assert record(app_engine, seeded, scan_id, result)
    return scan_id


def test_projection_tracks_first_seen_status_since_and_previous_status_across_three_scans(
        app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    t1, t2, t3 = T0, T0 + dt.timedelta(hours=6), T0 + dt.timedelta(days=1)

    first = scan_and_record(app_engine, owner_engine, seeded,
                            scan_result({CRITICAL: Status.PASS, HIGH: Status.FAIL}, started_at=t1))
    rows = latest(app_engine, seeded)
    assert rows[CRITICAL].status == "pass" and rows[CRITICAL].previous_status is None
    assert rows[HIGH].status == "fail" and rows[HIGH].status_since == t1 and rows[HIGH].scan_id == first

    second = scan_result({CRITICAL: Status.PASS, HIGH: Status.PASS}, started_at=t2)
    scan_and_record(app_engine, owner_engine, seeded, second)
    rows = latest(app_engine, seeded)
    assert (rows[CRITICAL].status_since, rows[CRITICAL].previous_status, rows[CRITICAL].last_seen_at) == (t1, None, t2)
    assert (rows[HIGH].status, rows[HIGH].previous_status, rows[HIGH].status_since) == ("pass", "fail", t2)

    third = scan_and_record(app_engine, owner_engine, seeded,
                            scan_result({CRITICAL: Status.FAIL, HIGH: Status.PASS, MEDIUM: Status.FAIL}, started_at=t3))
    rows = latest(app_engine, seeded)
    assert (rows[CRITICAL].status, rows[CRITICAL].previous_status, rows[CRITICAL].status_since) == ("fail", "pass", t3)
    # Unchanged status: status_since and previous_status stay from the change before.
    assert (rows[HIGH].status_since, rows[HIGH].previous_status, rows[HIGH].last_seen_at) == (t2, "fail", t3)
    assert all(row.first_seen_at == t1 for check, row in rows.items() if check != MEDIUM)
    assert rows[MEDIUM].first_seen_at == t3 and rows[MEDIUM].scan_id == third
    assert rows[CRITICAL].affected_count == 1


def test_an_older_scan_finishing_last_does_not_overwrite_the_projection(app_engine: Engine,
                                                                        owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    newer = scan_and_record(app_engine, owner_engine, seeded,
                            scan_result({CRITICAL: Status.PASS}, started_at=T0 + dt.timedelta(hours=1)))
    scan_and_record(app_engine, owner_engine, seeded, scan_result({CRITICAL: Status.FAIL}, started_at=T0))
    row = latest(app_engine, seeded)[CRITICAL]
    assert (row.status, row.scan_id, row.previous_status) == ("pass", newer, None)


def customer_row(app_engine: Engine, seeded: Seeded) -> tuple[float | None, int | None, int | None]:
    with unit_of_work(app_engine, scope(seeded)) as uow:
        row = uow.session.execute(text("SELECT score, open_critical, open_high FROM customers WHERE id = :c"),
                                  {"c": seeded.customer_id}).one()
    return row.score, row.open_critical, row.open_high


def test_an_older_scan_finishing_last_leaves_the_newer_scans_score(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    newer = scan_result({CRITICAL: Status.PASS, HIGH: Status.PASS}, started_at=T0 + dt.timedelta(hours=1))
    scan_and_record(app_engine, owner_engine, seeded, newer)
    scan_and_record(app_engine, owner_engine, seeded,
                    scan_result({CRITICAL: Status.FAIL, HIGH: Status.FAIL}, started_at=T0))
    assert customer_row(app_engine, seeded) == (newer.score, 0, 0)


def test_a_partial_scan_is_scored_with_the_rest_of_the_projection(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    scan_and_record(app_engine, owner_engine, seeded, scan_result(
        {CRITICAL: Status.FAIL, HIGH: Status.PASS, MEDIUM: Status.PASS}, started_at=T0))
    reverify = insert_scan(owner_engine, seeded, status="running")
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE scans SET check_ids = :k WHERE id = :s"), {"k": [HIGH], "s": reverify})
    assert record(app_engine, seeded, reverify, scan_result({HIGH: Status.FAIL}, started_at=T0 + dt.timedelta(hours=1)))
    # Scored as a full scan with the same verdicts would be: the checks the re-verify left alone count too.
    whole = scan_result({CRITICAL: Status.FAIL, HIGH: Status.FAIL, MEDIUM: Status.PASS}, started_at=T0)
    assert customer_row(app_engine, seeded) == (whole.score, 1, 1)


def test_score_history_keeps_one_row_per_day_and_the_last_scan_of_the_day_wins(app_engine: Engine,
                                                                                owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    morning = scan_result({CRITICAL: Status.FAIL, HIGH: Status.PASS}, started_at=T0)
    evening = scan_result({CRITICAL: Status.PASS, HIGH: Status.PASS}, started_at=T0 + dt.timedelta(hours=10))
    next_day = scan_result({CRITICAL: Status.PASS, HIGH: Status.FAIL}, started_at=T0 + dt.timedelta(days=1))
    evening_id = scan_and_record(app_engine, owner_engine, seeded, evening)
    scan_and_record(app_engine, owner_engine, seeded, morning)  # recorded last, but started first: loses
    next_id = scan_and_record(app_engine, owner_engine, seeded, next_day)

    with unit_of_work(app_engine, scope(seeded)) as uow:
        history = [(h.day, h.scan_id, h.score) for h in score_history(uow, seeded.customer_id)]
    assert history == [(T0.date(), evening_id, 100.0), (T0.date() + dt.timedelta(days=1), next_id, next_day.score)]


def test_a_second_scan_of_a_day_records_when_there_are_days_of_history(app_engine: Engine,
                                                                        owner_engine: Engine) -> None:
    """A regression: the "last scan of the day wins" rule read every day's row, so with two days of history
    a second scan on one of them failed to record ("more than one row returned by a subquery")."""
    seeded = seeded_customer(owner_engine)
    days = [scan_result({CRITICAL: Status.FAIL}, started_at=T0 + dt.timedelta(days=d)) for d in range(2)]
    for result in days:
        scan_and_record(app_engine, owner_engine, seeded, result)
    later = scan_and_record(app_engine, owner_engine, seeded, scan_result(
        {CRITICAL: Status.PASS}, started_at=T0 + dt.timedelta(days=1, hours=3)))
    earlier = scan_and_record(app_engine, owner_engine, seeded, scan_result(  # started before the day's first
        {CRITICAL: Status.FAIL}, started_at=T0 + dt.timedelta(days=1, hours=-1)))
    with unit_of_work(app_engine, scope(seeded)) as uow:
        history = {h.day: h.scan_id for h in score_history(uow, seeded.customer_id)}
    assert history[T0.date() + dt.timedelta(days=1)] == later and earlier not in history.values()


def test_recording_writes_results_scan_and_audit_in_one_go(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    result = scan_result({CRITICAL: Status.PASS, HIGH: (Status.ERROR, "throttled"), MEDIUM: Status.FAIL},
                         started_at=T0)
    scan_id = scan_and_record(app_engine, owner_engine, seeded, result)
    with unit_of_work(app_engine, scope(seeded)) as uow:
        scan = get_scan(uow, scan_id)
        rows = scan_results(uow, scan_id)
        audit = uow.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"scan:{scan_id}")).all()
    assert (scan.status, scan.partial, scan.score, scan.request_count) == (ScanStatus.PARTIAL, True, result.score, 7)
    assert scan.finished_at == result.finished_at and scan.coverage == result.coverage
    assert {(r.check_id, r.status, r.reason) for r in rows} == {
        (CRITICAL, "pass", None), (HIGH, "error", "throttled"), (MEDIUM, "fail", None)}
    assert rows[0].evidence == {"read": 1} and rows[0].affected == ["obj-1"]
    assert audit == ["scan.partial"]


def test_a_scan_already_final_is_not_recorded_twice(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    scan_id = scan_and_record(app_engine, owner_engine, seeded, scan_result({CRITICAL: Status.PASS}, started_at=T0))
    assert not record(app_engine, seeded, scan_id, scan_result({CRITICAL: Status.FAIL, HIGH: Status.FAIL},
                                                               started_at=T0 + dt.timedelta(minutes=1)))
    with unit_of_work(app_engine, scope(seeded)) as uow:
        assert [(r.check_id, r.status) for r in scan_results(uow, scan_id)] == [(CRITICAL, "pass")]
    assert latest(app_engine, seeded)[CRITICAL].status == "pass"


@pytest.fixture
def failing_projection(owner_engine: Engine) -> object:
    """A trigger that makes writing this test's customer's projection fail, after its results were inserted."""
    seeded = seeded_customer(owner_engine)
    name = f"fail_latest_{seeded.customer_id.hex[:12]}"
    with owner_engine.begin() as connection:
        connection.execute(text(f"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.customer_id = '{seeded.customer_id}' THEN RAISE EXCEPTION 'projection write refused'; END IF;
              RETURN NEW;
            END $$"""))
        connection.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON latest_results "
                                f"FOR EACH ROW EXECUTE FUNCTION {name}()"))
    yield seeded
    with owner_engine.begin() as connection:
        connection.execute(text(f"DROP TRIGGER {name} ON latest_results"))
        connection.execute(text(f"DROP FUNCTION {name}()"))


def test_a_failure_in_the_middle_of_recording_leaves_no_results(app_engine: Engine, owner_engine: Engine,
                                                                failing_projection: Seeded) -> None:
    seeded = failing_projection
    scan_id = insert_scan(owner_engine, seeded, status="running")
    with pytest.raises(DBAPIError, match="projection write refused"):
        record(app_engine, seeded, scan_id, scan_result({CRITICAL: Status.PASS, HIGH: Status.FAIL}, started_at=T0))
    with unit_of_work(app_engine, scope(seeded)) as uow:
        count = uow.session.scalar(select(func.count()).select_from(CheckResultRow)
                                   .where(CheckResultRow.scan_id == scan_id))
        scan = uow.session.get(Scan, scan_id)
        assert scan is not None
        status, score = scan.status, scan.score
    assert (count, status, score) == (0, ScanStatus.RUNNING, None)
    assert latest(app_engine, seeded) == {}


def test_evidence_no_database_accepts_is_normalised_and_the_scan_is_recorded(app_engine: Engine,
                                                                              owner_engine: Engine) -> None:
    import dataclasses
    import math

    seeded = seeded_customer(owner_engine)
    scan_id = insert_scan(owner_engine, seeded, status="running")
    result = scan_result({CRITICAL: Status.FAIL}, started_at=T0)
    deep: list = []
    for _ in range(200):
        deep = [deep]
    hostile = {"score": math.nan, "limit": math.inf, "name": "Ann\x00Lee", "seen": T0, "deep": deep}
    check = dataclasses.replace(result.checks[0], evidence=hostile, affected=["u\x00"])
    result = dataclasses.replace(result, checks=(check,))

    assert record(app_engine, seeded, scan_id, result)
    with unit_of_work(app_engine, scope(seeded)) as uow:
        row = uow.session.scalars(select(CheckResultRow).where(CheckResultRow.scan_id == scan_id)).one()
    assert row.evidence["score"] is None and row.evidence["limit"] is None
    assert row.evidence["name"] == "Ann\ufffdLee"
    assert row.evidence["seen"] == T0.isoformat()
    assert "[nested too deep]" in str(row.evidence["deep"])
    assert row.affected == ["u\ufffd"]
