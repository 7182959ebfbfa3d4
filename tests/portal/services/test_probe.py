"""Connection probes: a token and one read, fed into the same state rules as scans."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from portal.db.models import AuditEvent, ConnectionState, Customer, Scan
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.customers import probe_connection
from tests.portal.services.support import Seeded, SimWorld, add_tenant, seeded_customer
from tests.portal.services.test_run import unreachable_environment


def _events(app_engine: Engine, seeded: Seeded, action: str) -> list[dict]:
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        return list(uow.session.scalars(select(AuditEvent.details).where(AuditEvent.action == action)))


def _customer(app_engine: Engine, seeded: Seeded) -> tuple[Customer, int, int]:
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        customer = uow.session.get(Customer, seeded.customer_id)
        scans = uow.session.scalar(select(func.count()).select_from(Scan))
        probes = uow.session.scalar(select(func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.action == "connection.probed"))
    assert customer is not None
    return customer, int(scans or 0), int(probes or 0)


def test_a_reachable_tenant_reconnects_a_disconnected_customer_without_a_scan(world: SimWorld, app_engine: Engine,
                                                                                owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world), state=ConnectionState.DISCONNECTED)
    after = probe_connection(app_engine, seeded.msp_id, seeded.customer_id, scanner_env=world.scanner_environment())
    customer, scans, probes = _customer(app_engine, seeded)
    assert after.state is ConnectionState.CONNECTED
    assert (customer.connection_state, customer.hard_failures, scans, probes) == (ConnectionState.CONNECTED, 0, 0, 1)
    assert len(_events(app_engine, seeded, "connection.restored")) == 1


def test_a_probe_cannot_clear_degraded(world: SimWorld, app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world), state=ConnectionState.DEGRADED)
    probe_connection(app_engine, seeded.msp_id, seeded.customer_id, scanner_env=world.scanner_environment())
    assert _customer(app_engine, seeded)[0].connection_state is ConnectionState.DEGRADED


def test_revoked_consent_disconnects_at_the_second_probe(world: SimWorld, app_engine: Engine,
                                                         owner_engine: Engine) -> None:
    tenant_id = add_tenant(world)
    world.state.revoke_consent(tenant_id)
    seeded = seeded_customer(owner_engine, tenant_id=tenant_id, state=ConnectionState.CONNECTED)
    env = world.scanner_environment()
    probe_connection(app_engine, seeded.msp_id, seeded.customer_id, scanner_env=env)
    first = _customer(app_engine, seeded)[0]
    assert (first.connection_state, first.hard_failures) == (ConnectionState.CONNECTED, 1)
    assert _events(app_engine, seeded, "connection.lost") == []
    probe_connection(app_engine, seeded.msp_id, seeded.customer_id, scanner_env=env)
    second = _customer(app_engine, seeded)[0]
    assert (second.connection_state, second.hard_failures) == (ConnectionState.DISCONNECTED, 2)
    lost = _events(app_engine, seeded, "connection.lost")
    assert len(lost) == 1 and "AADSTS700016" in lost[0]["reason"]
    probe_connection(app_engine, seeded.msp_id, seeded.customer_id, scanner_env=env)  # still gone: no new event
    assert len(_events(app_engine, seeded, "connection.lost")) == 1


def test_an_unreachable_identity_service_changes_nothing(world: SimWorld, app_engine: Engine,
                                                         owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, tenant_id=add_tenant(world), state=ConnectionState.CONNECTED)
    after = probe_connection(app_engine, seeded.msp_id, seeded.customer_id,
                             scanner_env=unreachable_environment(world))
    customer = _customer(app_engine, seeded)[0]
    assert after.state is ConnectionState.CONNECTED
    assert (customer.connection_state, customer.hard_failures) == (ConnectionState.CONNECTED, 0)
