"""Scans through a real broker and real worker processes, against the simulator over HTTPS.

Each test starts its own worker processes (``worker.runner.run_worker``), so a killed worker's
message can only be finished by the worker the test starts next. Scans are queued the way the web
app queues them: ``start_scan`` in a unit of work, the message sent after commit.
"""

from __future__ import annotations

import uuid

from dramatiq import Broker, Message
from sqlalchemy import Engine, func, select, text

from config.broker import build_broker
from config.messages import SCAN_TENANT, SCANS_QUEUE, BrokerScanQueue
from portal.db.engine import role_url
from portal.db.models import (
    AuditEvent,
    CheckResultRow,
    ConnectionState,
    Customer,
    LatestResult,
    Scan,
    ScanStatus,
    ScanTrigger,
    ScoreHistory,
)
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.scans import start_scan
from scanner import catalogue
from sim import FaultConfig
from tests.conftest import ROLES
from tests.portal.services.support import Seeded, SimWorld, add_tenant, seeded_customer
from tests.worker.conftest import WorkerProcess, wait_for


def queue_scan(app_engine: Engine, seeded: Seeded, queue: BrokerScanQueue) -> uuid.UUID:
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id, actor="ann@msp.test")) as uow:
        return start_scan(uow, seeded.customer_id, ScanTrigger.MANUAL, queue=queue).id


class Observed:
    """What the database says about one customer and one of its scans (read as the application role)."""

    def __init__(self, app_engine: Engine, seeded: Seeded, scan_id: uuid.UUID) -> None:
        self.engine, self.seeded, self.scan_id = app_engine, seeded, scan_id

    def _count(self, model: type, *where: object) -> int:
        scope = Scope.for_customer(self.seeded.msp_id, self.seeded.customer_id)
        with unit_of_work(self.engine, scope) as uow:
            return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def scan(self) -> Scan:
        with unit_of_work(self.engine, Scope.for_customer(self.seeded.msp_id, self.seeded.customer_id)) as uow:
            scan = uow.session.get(Scan, self.scan_id)
        assert scan is not None
        return scan

    def customer(self) -> Customer:
        with unit_of_work(self.engine, Scope.for_customer(self.seeded.msp_id, self.seeded.customer_id)) as uow:
            customer = uow.session.get(Customer, self.seeded.customer_id)
        assert customer is not None
        return customer

    def status(self) -> ScanStatus:
        return ScanStatus(self.scan().status)

    def is_final(self) -> bool:
        return self.status().is_final

    def results(self) -> int:
        return self._count(CheckResultRow, CheckResultRow.scan_id == self.scan_id)

    def recorded_events(self) -> int:
        return self._count(AuditEvent, AuditEvent.target == f"scan:{self.scan_id}",
                           AuditEvent.action != "scan.requested")


def test_a_scan_message_is_processed_end_to_end(world: SimWorld, app_engine: Engine, owner_engine: Engine,
                                                scan_queue: BrokerScanQueue, start_worker) -> None:
    tenant_id = add_tenant(world, "neglected")
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id, state=ConnectionState.PENDING_CONSENT)
    worker: WorkerProcess = start_worker()
    scan_id = queue_scan(app_engine, seeded, scan_queue)
    seen = Observed(app_engine, seeded, scan_id)
    wait_for(seen.is_final, "the scan to finish", worker)

    checks = len(catalogue())
    scan = seen.scan()
    assert (scan.status, scan.attempts, seen.results()) == (ScanStatus.COMPLETED, 1, checks)
    assert scan.score is not None and scan.request_count
    assert seen._count(LatestResult, LatestResult.customer_id == seeded.customer_id) == checks
    assert seen._count(ScoreHistory, ScoreHistory.customer_id == seeded.customer_id) == 1
    assert seen.customer().connection_state is ConnectionState.CONNECTED
    assert f"scan_id={scan_id}" in worker.log()  # the log context reached the worker's lines
    # Its requests were taken from the shared request budget (the ledger every worker process uses).
    with owner_engine.connect() as connection:
        taken = dict(connection.execute(text("SELECT key, sum(used) FROM request_budget GROUP BY key")).all())
    assert taken.get(f"graph:resource_units:tenant:{tenant_id.lower()}", 0) > 0


def test_the_same_message_delivered_twice_gives_one_result_set(world: SimWorld, app_engine: Engine,
                                                               owner_engine: Engine, producer: Broker,
                                                               owner_url: str, broker_url: str | None,
                                                               start_worker) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world, "typical"))
    sent: list[Message[object]] = []

    def record_and_send(**ids: uuid.UUID) -> None:
        message: Message[object] = Message(queue_name=SCANS_QUEUE, actor_name=SCAN_TENANT, args=(),
                                           kwargs={k: str(v) for k, v in ids.items()}, options={})
        sent.append(producer.enqueue(message))

    scan_id = queue_scan(app_engine, seeded, record_and_send)  # type: ignore[arg-type]
    # The very same message again, as a broker redelivers it (the worker side's upsert: the portal's
    # publishing role may only add new messages).
    redelivery = build_broker(broker_url, role_url(owner_url, ROLES.worker))
    redelivery.enqueue(sent[0])
    redelivery.close()
    BrokerScanQueue(producer)(scan_id=scan_id, msp_id=seeded.msp_id, customer_id=seeded.customer_id)  # a resend
    worker: WorkerProcess = start_worker()  # started after: both deliveries are there at once for 2 threads
    seen = Observed(app_engine, seeded, scan_id)
    wait_for(seen.is_final, "the scan to finish", worker)
    wait_for(lambda: any(said in worker.log() for said in ("nothing to do", "results discarded", "another delivery")),
             "the duplicate delivery to be processed", worker)
    worker.stop()

    assert (seen.status(), seen.results(), seen.recorded_events()) == (ScanStatus.COMPLETED, len(catalogue()), 1)
    assert seen._count(ScoreHistory, ScoreHistory.customer_id == seeded.customer_id) == 1


def test_a_worker_killed_mid_scan_leaves_no_partial_scan_and_the_redelivery_completes_it(
        world: SimWorld, app_engine: Engine, owner_engine: Engine, scan_queue: BrokerScanQueue,
        start_worker) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world, "typical"))
    world.state.set_faults(FaultConfig(latency_ms=300))  # a scan now takes seconds: time to kill it
    try:
        first: WorkerProcess = start_worker()
        scan_id = queue_scan(app_engine, seeded, scan_queue)
        seen = Observed(app_engine, seeded, scan_id)
        wait_for(lambda: seen.status() is ScanStatus.RUNNING, "the scan to start", first)
        first.kill()
    finally:
        world.state.set_faults(FaultConfig())

    assert (seen.status(), seen.results(), seen.recorded_events()) == (ScanStatus.RUNNING, 0, 0)
    second: WorkerProcess = start_worker()
    wait_for(seen.is_final, "the redelivered scan to finish", second)
    scan = seen.scan()
    assert (scan.status, scan.attempts) == (ScanStatus.COMPLETED, 2)
    assert (seen.results(), seen.recorded_events()) == (len(catalogue()), 1)


def test_revoked_consent_disconnects_the_customer_at_the_second_failure(
        world: SimWorld, app_engine: Engine, owner_engine: Engine, scan_queue: BrokerScanQueue,
        start_worker) -> None:
    tenant_id = add_tenant(world, "secure")
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id, state=ConnectionState.CONNECTED)
    worker: WorkerProcess = start_worker()
    world.state.revoke_consent(tenant_id)

    first = Observed(app_engine, seeded, queue_scan(app_engine, seeded, scan_queue))
    wait_for(first.is_final, "the first scan to finish", worker)
    customer = first.customer()
    assert first.status() is ScanStatus.DISCONNECTED
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.CONNECTED, 1)
    assert "consent" in (customer.connection_reason or "").lower()

    second = Observed(app_engine, seeded, queue_scan(app_engine, seeded, scan_queue))
    wait_for(second.is_final, "the second scan to finish", worker)
    customer = second.customer()
    assert (second.status(), second.results()) == (ScanStatus.DISCONNECTED, 0)
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.DISCONNECTED, 2)


def test_a_first_failed_connection_is_confirmed_by_a_probe_minutes_later(
        world: SimWorld, app_engine: Engine, owner_engine: Engine, scan_queue: BrokerScanQueue,
        start_worker) -> None:
    tenant_id = add_tenant(world, "secure")
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id, state=ConnectionState.CONNECTED)
    worker: WorkerProcess = start_worker(POSTURE_CONNECTION_RECHECK_S="5")
    world.state.revoke_consent(tenant_id)

    scan = Observed(app_engine, seeded, queue_scan(app_engine, seeded, scan_queue))
    wait_for(scan.is_final, "the scan to finish", worker)
    assert scan.status() is ScanStatus.DISCONNECTED
    # No second scan is asked for: the worker's delayed probe (a delay queue on every broker) confirms.
    wait_for(lambda: scan.customer().connection_state is ConnectionState.DISCONNECTED, "the confirming probe",
             worker)
    assert scan.customer().hard_failures == 2
    scope = Scope.for_customer(seeded.msp_id, seeded.customer_id)
    with unit_of_work(app_engine, scope) as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action)))
        scans = uow.session.scalar(select(func.count()).select_from(Scan))
    assert (actions.count("connection.probed"), actions.count("connection.lost"), scans) == (1, 1, 1)


def test_a_scan_that_cannot_run_is_dead_lettered_and_marked_failed(world: SimWorld, app_engine: Engine,
                                                                   owner_engine: Engine, scan_queue: BrokerScanQueue,
                                                                   start_worker) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world, "typical"))
    worker: WorkerProcess = start_worker(POSTURE_CLIENT_ID=None)  # no app registration configured
    seen = Observed(app_engine, seeded, queue_scan(app_engine, seeded, scan_queue))
    wait_for(seen.is_final, "the scan to be failed by the dead-letter actor", worker)
    scan = seen.scan()
    assert (scan.status, seen.results()) == (ScanStatus.FAILED, 0)
    assert "POSTURE_CLIENT_ID" in (scan.failure_reason or "")
    assert seen.customer().hard_failures == 0  # a platform problem is not the customer's
