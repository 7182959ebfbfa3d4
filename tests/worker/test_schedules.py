"""The schedule through a real broker: ``run_due_schedules`` queues due scans, which the worker then runs."""

from __future__ import annotations

import datetime as dt
import json

from dramatiq import Broker
from sqlalchemy import Engine, select, text

from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, send
from portal.db.models import Customer, Scan, ScanStatus, ScanTrigger
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.billing import CLOSING_GRACE, Period
from tests.portal.services.support import SimWorld, add_tenant, seeded_customer
from tests.support.database import set_scope
from tests.worker.conftest import WorkerProcess, wait_for


def test_a_due_customer_is_scanned_on_the_next_tick(world: SimWorld, app_engine: Engine, owner_engine: Engine,
                                                    producer: Broker, start_worker) -> None:
    before = dt.datetime.now(dt.UTC)
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world, "free"),
                             next_scan_at=before - dt.timedelta(minutes=1), interval_hours=6)
    scope = Scope.for_customer(seeded.msp_id, seeded.customer_id)

    def scans() -> list[tuple[ScanTrigger, ScanStatus]]:
        with unit_of_work(app_engine, scope) as uow:
            return [(s.trigger, s.status) for s in uow.session.scalars(select(Scan))]

    worker: WorkerProcess = start_worker()
    send(producer, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)
    wait_for(lambda: scans() == [(ScanTrigger.SCHEDULE, ScanStatus.COMPLETED)], "the scheduled scan", worker)
    with unit_of_work(app_engine, scope) as uow:
        customer = uow.session.get(Customer, seeded.customer_id)
        assert customer is not None and customer.next_scan_at is not None
        assert customer.next_scan_at >= before + dt.timedelta(hours=6)


def test_the_tick_closes_last_months_invoice(owner_engine: Engine, producer: Broker, start_worker) -> None:
    """Through the real broker and worker: the tick closes the month just ended, with its lines (closing
    twice makes one invoice: tests/portal/services/test_billing.py)."""
    last = Period.month_of((dt.datetime.now(dt.UTC) - CLOSING_GRACE).date()).previous()
    seeded = seeded_customer(owner_engine, name="Closing Co")
    added = dt.datetime.combine(last.start + dt.timedelta(days=9), dt.time(8), tzinfo=dt.UTC)  # the 10th
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET created_at = :a WHERE id = :c"),
                           {"a": added, "c": seeded.customer_id})
        connection.execute(text(  # 12 managed users from the 11th
            "INSERT INTO scans (id, msp_id, customer_id, trigger, status, started_at, finished_at, environment) "
            "VALUES (gen_random_uuid(), :m, :c, 'manual', 'completed', :f, :f, CAST(:e AS jsonb))"),
            {"m": seeded.msp_id, "c": seeded.customer_id, "f": added + dt.timedelta(days=1),
             "e": json.dumps({"licensed": 12})})

    def invoices() -> list[tuple[int, int]]:
        with owner_engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(
                "SELECT i.user_days, l.user_days FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id "
                "WHERE i.msp_id = :m AND i.period_start = :p"), {"m": seeded.msp_id, "p": last.start})]

    worker: WorkerProcess = start_worker()
    send(producer, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)
    # The 10th has no users yet (no scan), the 11th to the month's last day have 12.
    expected = (last.days - 10) * 12
    wait_for(lambda: invoices() == [(expected, expected)], "last month's invoice", worker)
