"""Queueing scans: messages leave only after commit; the schedule claims due customers once."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import Engine, select

from portal.db.models import ConnectionState, Customer, Scan, ScanStatus, ScanTrigger
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.errors import NotFound
from portal.services.scans import enqueue_due_scans, run_due_schedules, start_scan
from tests.portal.services.support import insert_scan, make_customer, make_msp, seeded_customer

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


class Recorder:
    """A ``ScanQueue`` that remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, uuid.UUID]] = []

    def __call__(self, *, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        self.sent.append({"scan_id": scan_id, "msp_id": msp_id, "customer_id": customer_id})


class _Abort(Exception):
    pass


def test_start_scan_sends_the_ids_only_after_commit(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    queue = Recorder()
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id, actor="ann@msp.test")) as uow:
        scan = start_scan(uow, seeded.customer_id, ScanTrigger.MANUAL, queue=queue)
        assert queue.sent == []
    assert queue.sent == [{"scan_id": scan.id, "msp_id": seeded.msp_id, "customer_id": seeded.customer_id}]
    assert (scan.status, scan.trigger, scan.attempts) == (ScanStatus.QUEUED, ScanTrigger.MANUAL, 0)


def test_a_rolled_back_start_sends_nothing(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine)
    queue = Recorder()
    with pytest.raises(_Abort), unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        start_scan(uow, seeded.customer_id, ScanTrigger.MANUAL, queue=queue)
        raise _Abort
    assert queue.sent == []
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        assert uow.session.scalars(select(Scan).where(Scan.customer_id == seeded.customer_id)).all() == []


def test_another_msps_customer_is_not_found(app_engine: Engine, owner_engine: Engine) -> None:
    mine, theirs = seeded_customer(owner_engine), seeded_customer(owner_engine)
    with pytest.raises(NotFound), unit_of_work(app_engine, Scope.for_msp(mine.msp_id)) as uow:
        start_scan(uow, theirs.customer_id, ScanTrigger.MANUAL, queue=Recorder())


def test_due_customers_get_a_scheduled_scan_and_a_new_next_scan_time(app_engine: Engine,
                                                                       owner_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    due = make_customer(owner_engine, msp_id, next_scan_at=NOW - dt.timedelta(minutes=1), interval_hours=12)
    later = make_customer(owner_engine, msp_id, next_scan_at=NOW + dt.timedelta(hours=1))
    pending = make_customer(owner_engine, msp_id, next_scan_at=NOW - dt.timedelta(hours=1),
                            state=ConnectionState.PENDING_CONSENT)
    busy = make_customer(owner_engine, msp_id, next_scan_at=NOW - dt.timedelta(hours=1))
    insert_scan(owner_engine, busy, status="running")  # queued_at is now(): within its interval
    never = make_customer(owner_engine, msp_id)
    queue = Recorder()

    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        scans = enqueue_due_scans(uow, NOW, queue=queue)
    assert [(s.customer_id, s.trigger) for s in scans] == [(due.customer_id, ScanTrigger.SCHEDULE)]
    assert [m["customer_id"] for m in queue.sent] == [due.customer_id]
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        next_at = {c.id: c.next_scan_at for c in uow.session.scalars(select(Customer))}
    # The interval plus a jitter of up to a tenth of it (never earlier, never past the jitter's bound).
    assert NOW + dt.timedelta(hours=12) <= next_at[due.customer_id] < NOW + dt.timedelta(hours=13.2)
    assert NOW + dt.timedelta(hours=24) <= next_at[busy.customer_id] < NOW + dt.timedelta(hours=26)  # moved on
    assert next_at[later.customer_id] == NOW + dt.timedelta(hours=1)
    assert next_at[pending.customer_id] == NOW - dt.timedelta(hours=1)
    assert next_at[never.customer_id] is None

    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        assert enqueue_due_scans(uow, NOW, queue=queue) == []  # already moved on: nothing twice


def test_run_due_schedules_covers_every_msp(app_engine: Engine, owner_engine: Engine) -> None:
    far_past = NOW - dt.timedelta(days=3650)  # older than any other test's customers' schedules
    one = make_customer(owner_engine, make_msp(owner_engine), next_scan_at=far_past)
    two = make_customer(owner_engine, make_msp(owner_engine), next_scan_at=far_past)
    queue = Recorder()
    run_due_schedules(app_engine, NOW, queue=queue)
    sent = {(m["msp_id"], m["customer_id"]) for m in queue.sent}
    assert {(one.msp_id, one.customer_id), (two.msp_id, two.customer_id)} <= sent


def test_stranded_scans_are_sent_again_and_fresh_or_final_ones_are_not(app_engine: Engine,
                                                                       owner_engine: Engine) -> None:
    from sqlalchemy import text

    from portal.services.scans import STRANDED_AFTER, resend_stranded_scans

    seeded = seeded_customer(owner_engine)
    stranded_queued = insert_scan(owner_engine, seeded)
    stranded_running = insert_scan(owner_engine, seeded, status="running")
    fresh = insert_scan(owner_engine, seeded)
    done = insert_scan(owner_engine, seeded, status="completed")
    now = dt.datetime.now(dt.UTC)
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE scans SET queued_at = :t WHERE id = ANY(:ids)"),
                           {"t": now - STRANDED_AFTER - dt.timedelta(minutes=1),
                            "ids": [stranded_queued, stranded_running, done]})
    queue = Recorder()
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        resent = resend_stranded_scans(uow, now, queue=queue)
        assert queue.sent == []  # only after commit
    assert sorted(resent) == sorted([stranded_queued, stranded_running])
    assert sorted(m["scan_id"] for m in queue.sent) == sorted([stranded_queued, stranded_running])
    assert fresh not in resent and done not in resent


def test_a_stranded_scan_is_resent_once_per_period_then_failed_with_a_reason(app_engine: Engine,
                                                                             owner_engine: Engine) -> None:
    from sqlalchemy import select, text

    from portal.db.models import AuditEvent, Scan
    from portal.services.scans import MAX_RESENDS, STRANDED_AFTER, resend_stranded_scans

    seeded = seeded_customer(owner_engine)
    scan_id = insert_scan(owner_engine, seeded)
    start = dt.datetime.now(dt.UTC)
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE scans SET queued_at = :t WHERE id = :id"),
                           {"t": start - STRANDED_AFTER - dt.timedelta(minutes=1), "id": scan_id})
    queue = Recorder()
    tick = dt.timedelta(minutes=1)
    resends_per_tick = []
    # Ticks every minute for MAX_RESENDS stranded periods and a little more.
    for n in range(int((MAX_RESENDS + 1) * STRANDED_AFTER / tick) + 2):
        with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id, actor="system:scheduler")) as uow:
            resends_per_tick.append(len(resend_stranded_scans(uow, start + n * tick, queue=queue)))

    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        scan = uow.session.get(Scan, scan_id)
        events = [e.action for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.target == f"scan:{scan_id}").order_by(AuditEvent.id))]
    assert len(queue.sent) == MAX_RESENDS == sum(resends_per_tick)
    # One resend at the first tick, then one per stranded period, never two in a row.
    hits = [n for n, count in enumerate(resends_per_tick) if count]
    assert hits[0] == 0
    assert all(later - earlier >= STRANDED_AFTER / tick for earlier, later in itertools.pairwise(hits))
    assert scan.status == "failed" and scan.resend_count == MAX_RESENDS
    assert scan.failure_reason.startswith("stranded:")
    assert events == ["scan.resent"] * MAX_RESENDS + ["scan.failed"]
