"""``run_scan`` end to end in-process: the simulator over HTTPS, a real database, no broker.

The worker tests run the same service through Dramatiq; these pin its own contract: idempotent on
a final scan, permanent errors fail the scan, transient ones propagate and change nothing.
"""

from __future__ import annotations

import logging
import socket
import uuid

import pytest
from sqlalchemy import Engine, func, select, text

from portal.db.models import CheckResultRow, ConnectionState, Customer, Scan, ScanStatus
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services import log_context
from portal.services.scans import ScannerEnvironment, run_scan
from scanner import AppCredentials, Endpoints, TokenProvider, TransientAuthError, catalogue
from sim import ServiceApp
from tests.portal.services.support import Seeded, SimWorld, add_tenant, insert_scan, seeded_customer
from tests.support.database import set_scope


def read(app_engine: Engine, seeded: Seeded, scan_id: uuid.UUID) -> tuple[Scan, Customer, int]:
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        scan = uow.session.get(Scan, scan_id)
        customer = uow.session.get(Customer, seeded.customer_id)
        results = uow.session.scalar(select(func.count()).select_from(CheckResultRow)
                                     .where(CheckResultRow.scan_id == scan_id))
    assert scan is not None and customer is not None
    return scan, customer, int(results or 0)


def run(app_engine: Engine, seeded: Seeded, scan_id: uuid.UUID, env: ScannerEnvironment) -> object:
    return run_scan(app_engine, scan_id, seeded.msp_id, seeded.customer_id, scanner_env=env)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_environment(world: SimWorld) -> ScannerEnvironment:
    """A scanner environment whose identity service refuses connections."""
    base = f"https://127.0.0.1:{closed_port()}"
    tokens = TokenProvider(
        AppCredentials(client_id=world.client_id, certificate_pem=world.private_pem_path.read_bytes()),
        Endpoints(base, base + "/graph", base + "/exchange"), backoff_s=0.01,
    )
    return ScannerEnvironment(tokens=tokens, graph_url=base + "/graph", exchange_url=base + "/exchange")


def test_a_queued_scan_runs_against_the_simulator_and_is_recorded(world: SimWorld, app_engine: Engine,
                                                                  owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world, "typical"),
                             state=ConnectionState.PENDING_CONSENT)
    scan_id = insert_scan(owner_engine, seeded)
    outcome = run(app_engine, seeded, scan_id, world.scanner_environment())
    scan, customer, results = read(app_engine, seeded, scan_id)
    assert (outcome.status, outcome.recorded) == (ScanStatus.COMPLETED, True)  # type: ignore[attr-defined]
    assert (scan.status, scan.attempts, results) == (ScanStatus.COMPLETED, 1, len(catalogue()))
    assert scan.request_count and scan.score is not None and scan.finished_at is not None
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.CONNECTED, 0)


def test_a_final_scan_is_left_alone(world: SimWorld, app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world))
    scan_id = insert_scan(owner_engine, seeded, status="completed")
    # Any attempt to scan would fail loudly: the identity service is unreachable.
    outcome = run(app_engine, seeded, scan_id, unreachable_environment(world))
    scan, _, results = read(app_engine, seeded, scan_id)
    assert (outcome.status, outcome.recorded) == (ScanStatus.COMPLETED, False)  # type: ignore[attr-defined]
    assert (scan.attempts, scan.started_at, results) == (0, None, 0)


def test_a_rejected_platform_credential_fails_the_scan_not_the_customer(
        world: SimWorld, app_engine: Engine, owner_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world))
    scan_id = insert_scan(owner_engine, seeded)
    _, unregistered_pem = ServiceApp.with_certificate()  # a key the simulated app does not know
    good = world.scanner_environment()
    tokens = TokenProvider(AppCredentials(client_id=world.client_id, certificate_pem=unregistered_pem.encode()),
                           Endpoints(world.server.authority_host, good.graph_url, good.exchange_url),
                           ca_bundle=good.ca_bundle)
    env = ScannerEnvironment(tokens=tokens, graph_url=good.graph_url, exchange_url=good.exchange_url,
                             ca_bundle=good.ca_bundle)
    with caplog.at_level(logging.ERROR, logger="portal.services.scans._run"):
        outcome = run(app_engine, seeded, scan_id, env)
    scan, customer, results = read(app_engine, seeded, scan_id)
    assert (outcome.status, scan.status, results) == (ScanStatus.FAILED, ScanStatus.FAILED, 0)  # type: ignore[attr-defined]
    assert (scan.failure_reason or "").startswith("credential_invalid:")
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.CONNECTED, 0)
    assert any(r.levelno == logging.ERROR and "credential_invalid" in r.getMessage() for r in caplog.records)


def test_a_transient_failure_propagates_and_records_nothing(world: SimWorld, app_engine: Engine,
                                                            owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world), state=ConnectionState.DEGRADED)
    scan_id = insert_scan(owner_engine, seeded)
    with pytest.raises(TransientAuthError):
        run(app_engine, seeded, scan_id, unreachable_environment(world))
    scan, customer, results = read(app_engine, seeded, scan_id)
    assert (scan.status, scan.attempts, results) == (ScanStatus.RUNNING, 1, 0)
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.DEGRADED, 0)


def test_a_revoked_tenant_gives_a_disconnected_scan_and_one_hard_failure(world: SimWorld, app_engine: Engine,
                                                                          owner_engine: Engine) -> None:
    tenant_id = add_tenant(world)
    world.state.revoke_consent(tenant_id)
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id)
    scan_id = insert_scan(owner_engine, seeded)
    run(app_engine, seeded, scan_id, world.scanner_environment())
    scan, customer, results = read(app_engine, seeded, scan_id)
    assert (scan.status, results, scan.score) == (ScanStatus.DISCONNECTED, 0, None)
    assert "consent" in (scan.failure_reason or "").lower()
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.CONNECTED, 1)


def test_run_scan_leaves_the_callers_log_context_as_it_found_it(world: SimWorld, app_engine: Engine,
                                                                 owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world))
    with log_context.bound(request_id="r-1"):
        run(app_engine, seeded, insert_scan(owner_engine, seeded), world.scanner_environment())
        assert dict(log_context.current()) == {"request_id": "r-1"}


def _tenant_requests(world: SimWorld, tenant_id: str) -> int:
    return sum(world.state.log.counts(tenant_id.lower()).values())


def test_a_delivery_finding_the_scan_claimed_does_not_read_the_tenant(world: SimWorld, app_engine: Engine,
                                                                       owner_engine: Engine) -> None:
    from portal.services.scans import claim

    tenant_id = add_tenant(world, "typical")
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id)
    scan_id = insert_scan(owner_engine, seeded)
    with claim(app_engine, scan_id) as held:  # the first delivery, still running
        assert held
        second = run(app_engine, seeded, scan_id, world.scanner_environment())
        assert _tenant_requests(world, tenant_id) == 0
        assert read(app_engine, seeded, scan_id)[0].status is ScanStatus.QUEUED
    assert (second.status, second.recorded) == (ScanStatus.RUNNING, False)  # type: ignore[attr-defined]

    after = run(app_engine, seeded, scan_id, world.scanner_environment())  # the lock went with its holder
    assert after.recorded  # type: ignore[attr-defined]


def test_two_concurrent_deliveries_of_one_scan_read_the_tenant_once(world: SimWorld, app_engine: Engine,
                                                                     owner_engine: Engine) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    reference = add_tenant(world, "typical")
    reference_seeded = seeded_customer(owner_engine, tenant_id=reference)
    run(app_engine, reference_seeded, insert_scan(owner_engine, reference_seeded), world.scanner_environment())
    one_scan = _tenant_requests(world, reference)

    tenant_id = add_tenant(world, "typical")
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id)
    scan_id = insert_scan(owner_engine, seeded)
    barrier = threading.Barrier(2)

    def deliver() -> object:
        barrier.wait()
        return run(app_engine, seeded, scan_id, world.scanner_environment())

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: deliver(), range(2)))

    assert sorted(o.recorded for o in outcomes) == [False, True]  # type: ignore[attr-defined]
    assert _tenant_requests(world, tenant_id) == one_scan > 0
    scan, _, results = read(app_engine, seeded, scan_id)
    assert (scan.status, scan.attempts, results) == (ScanStatus.COMPLETED, 1, len(catalogue()))


def test_the_customers_recorded_break_glass_accounts_reach_the_checks(world: SimWorld, app_engine: Engine,
                                                                      owner_engine: Engine) -> None:
    tenant_id = add_tenant(world, "secure")
    break_glass = sorted(world.state.tenant(tenant_id).break_glass_ids)
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id, state=ConnectionState.CONNECTED)

    def mfa_verdict() -> tuple[str, str | None]:
        scan_id = insert_scan(owner_engine, seeded)
        run(app_engine, seeded, scan_id, world.scanner_environment())
        with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
            row = uow.session.execute(select(CheckResultRow.status, CheckResultRow.reason).where(
                CheckResultRow.scan_id == scan_id, CheckResultRow.check_id == "entra.ca.mfa_all_users")).one()
        return row.status, row.reason

    # Nothing recorded: the secure tenant's policies exclude its two emergency accounts, to confirm.
    assert mfa_verdict() == ("fail", "break_glass_unconfirmed")
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET break_glass_ids = :b WHERE id = :c"),
                           {"b": break_glass, "c": seeded.customer_id})
    assert mfa_verdict() == ("pass", None)
