"""The schedule through a real broker: ``run_due_schedules`` queues due scans, which the worker then runs."""

from __future__ import annotations

import datetime as dt

from dramatiq import Broker
from sqlalchemy import Engine, select

from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, send
from portal.db.models import Customer, Scan, ScanStatus, ScanTrigger
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from tests.portal.services.support import SimWorld, add_tenant, seeded_customer
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
