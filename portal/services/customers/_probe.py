"""Probe a customer's connection without a scan: can we still get a token and read the tenant?

A probe asks for a Graph token and reads ``/organization`` and ``/subscribedSkus`` (a scan with no
checks: one ``$batch``), then feeds the outcome into the same rules as scans
(:func:`next_connection`). Unlike a scan it cannot see missing permissions, so a successful probe
is "reached, unsure": it reconnects a ``pending_consent`` or ``disconnected`` customer (consent works
again) but leaves ``connected`` and ``degraded`` as they are. A revoked consent counts as a hard
failure, exactly as a scan's would; throttling or an unavailable identity service changes nothing.
No scan row is written; an audit event records the probe.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import Engine, select

from portal.db.models import Customer
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.audit import record_event
from portal.services.customers._connection import (
    Connection,
    ConnectionOutcome,
    OutcomeKind,
    apply_connection,
    outcome_of_scan,
)
from portal.services.environment import ScannerEnvironment
from portal.services.errors import NotFound
from scanner import TransientAuthError, scan_tenant

__all__ = ["PROBE_ACTOR", "probe_connection"]

#: Who the audit trail says probed.
PROBE_ACTOR = "system:probe"


def probe_connection(
    engine: Engine, msp_id: uuid.UUID, customer_id: uuid.UUID, *, scanner_env: ScannerEnvironment,
) -> Connection:
    """Probe one customer and update its connection state; returns the state afterwards.

    Raises:
        NotFound: no such customer in this scope.
        CredentialInvalid: the service's own credential was rejected (not the customer's problem).
    """
    scope = Scope.for_customer(msp_id, customer_id, actor=PROBE_ACTOR)
    with unit_of_work(engine, scope) as uow:
        tenant_id = uow.session.scalar(select(Customer.tenant_id).where(Customer.id == customer_id))
    if tenant_id is None:
        raise NotFound(f"customer {customer_id} not found")
    outcome = asyncio.run(_probe(tenant_id, scanner_env))
    with unit_of_work(engine, scope) as uow:
        customer = uow.session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
        if customer is None:
            raise NotFound(f"customer {customer_id} not found")
        after = apply_connection(uow, customer, outcome)
        record_event(uow, customer_id=customer_id, action="connection.probed", target=f"customer:{customer_id}",
                     details={"outcome": outcome.kind.value, "state": after.state.value})
        return after


async def _probe(tenant_id: str, env: ScannerEnvironment) -> ConnectionOutcome:
    try:
        result = await scan_tenant(tenant_id, tokens=env.tokens, graph_url=env.graph_url,
                                   exchange_url=env.exchange_url, checks=[], ca_bundle=env.ca_bundle)
    except TransientAuthError:
        return ConnectionOutcome(OutcomeKind.TRANSIENT)
    if result.status == "disconnected":
        return outcome_of_scan(result)
    if not result.tenant.name:
        # The token worked but /organization could not be read (throttled, unavailable): undecided.
        return ConnectionOutcome(OutcomeKind.TRANSIENT)
    return ConnectionOutcome(OutcomeKind.REACHED_UNSURE)
