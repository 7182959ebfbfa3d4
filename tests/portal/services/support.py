"""Test helpers shared by the service and worker tests: seed MSPs and customers, build scan results.

Rows are seeded through the owner's connection inside a transaction scoped to the MSP
(``set_config(..., true)``), as the unit of work does: row-level security is forced, so an owner
that is not a superuser is held to the policies too. Scan results are real ``scanner`` types
built from real catalogue metadata, so recording code sees exactly what the scanner returns.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from portal.db.models import ConnectionState, Role
from portal.db.scope import Scope
from portal.services.accounts import MembershipView
from portal.services.scans import ScannerEnvironment
from scanner import (
    AppCredentials,
    CheckResult,
    Endpoints,
    ScanOptions,
    ScanResult,
    ScanStats,
    Status,
    TenantInfo,
    TokenProvider,
    get_check,
    required_permissions,
)
from scanner._scoring import coverage, grade, score
from sim import FaultConfig, ServiceApp, SimServer, SimState
from sim.profiles import build_tenant
from tests.support.database import set_scope

#: Three real checks of different severities: critical, high and medium.
CRITICAL = "entra.ca.block_legacy_auth"
HIGH = "entra.authz.no_user_app_registration"
MEDIUM = "entra.consent.admin_workflow"


@dataclass(frozen=True)
class Seeded:
    msp_id: uuid.UUID
    customer_id: uuid.UUID
    tenant_id: str


def make_msp(owner_engine: Engine) -> uuid.UUID:
    msp_id = uuid.uuid4()
    with owner_engine.begin() as connection:
        connection.execute(text("INSERT INTO msps (id, name, slug) VALUES (:id, 'Test MSP', :slug)"),
                           {"id": msp_id, "slug": f"msp-{msp_id.hex[:16]}"})
    return msp_id


def make_customer(
    owner_engine: Engine, msp_id: uuid.UUID, *, tenant_id: str | None = None, name: str = "Contoso",
    state: ConnectionState = ConnectionState.CONNECTED, next_scan_at: dt.datetime | None = None,
    interval_hours: int = 24,
) -> Seeded:
    customer_id = uuid.uuid4()
    tenant_id = tenant_id or str(uuid.uuid4())
    with owner_engine.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text(
            "INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, connection_state, next_scan_at, "
            "scan_interval_hours) VALUES (:id, :id, :msp, :name, :tenant, :state, :next, :interval)"),
            {"id": customer_id, "msp": msp_id, "name": name, "tenant": tenant_id, "state": state.value,
             "next": next_scan_at, "interval": interval_hours})
    return Seeded(msp_id, customer_id, tenant_id)


def seeded_customer(owner_engine: Engine, **kwargs: object) -> Seeded:
    """A new MSP with one customer."""
    return make_customer(owner_engine, make_msp(owner_engine), **kwargs)  # type: ignore[arg-type]


def insert_scan(owner_engine: Engine, seeded: Seeded, *, status: str = "queued") -> uuid.UUID:
    scan_id = uuid.uuid4()
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text(
            "INSERT INTO scans (id, msp_id, customer_id, trigger, status) VALUES (:id, :m, :c, 'manual', :s)"),
            {"id": scan_id, "m": seeded.msp_id, "c": seeded.customer_id, "s": status})
    return scan_id


def scan_result(
    verdicts: Mapping[str, Status | tuple[Status, str]], *, started_at: dt.datetime,
    tenant_id: str = "tenant", status: str | None = None, error: str | None = None,
) -> ScanResult:
    """A ``ScanResult`` with the given verdicts (``Status`` or ``(Status, reason)``) per check id."""
    checks = []
    for check_id, verdict in verdicts.items():
        value, reason = verdict if isinstance(verdict, tuple) else (verdict, None)
        checks.append(CheckResult(get_check(check_id).meta, value, reason, {"read": 1}, ["obj-1"]))
    if status is None:
        status = "partial" if any(c.status is Status.ERROR for c in checks) else "completed"
    value = score(checks) if status != "disconnected" else None
    return ScanResult(
        tenant=TenantInfo(id=tenant_id, name="Contoso", default_domain="contoso.onmicrosoft.com"),
        status=status,  # type: ignore[arg-type]
        score=value, grade=grade(value), coverage=coverage(checks) if status != "disconnected" else 0.0,
        checks=tuple(checks), stats=ScanStats(requests=7, duration_s=1.5),
        started_at=started_at, finished_at=started_at + dt.timedelta(seconds=2), error=error,
    )


def disconnected_result(*, started_at: dt.datetime, error: str = "consent_missing: revoked") -> ScanResult:
    return scan_result({}, started_at=started_at, status="disconnected", error=error)


@dataclass
class SimWorld:
    """The simulator on loopback HTTPS, its CA, and the service app's certificate credential on disk."""

    server: SimServer
    state: SimState
    private_pem_path: Path
    client_id: str

    def scanner_environment(self, *, backoff_s: float = 0.05) -> ScannerEnvironment:
        """What a worker builds from its settings, built directly (fast retries for tests)."""
        server = self.server
        ca = str(server.ca_cert_path)
        tokens = TokenProvider(
            AppCredentials(client_id=self.client_id, certificate_pem=self.private_pem_path.read_bytes()),
            Endpoints(server.authority_host, server.graph_url, server.exchange_url),
            ca_bundle=ca, backoff_s=backoff_s,
        )
        return ScannerEnvironment(tokens=tokens, graph_url=server.graph_url,
                                  exchange_url=server.exchange_url, ca_bundle=ca, dns_resolver=server.dns_resolver,
                                  options=ScanOptions(max_concurrency=4, max_retries=2, backoff_s=0.05))

    def env(self) -> dict[str, str]:
        """``POSTURE_*`` variables pointing a worker process at this simulator."""
        server = self.server
        return {
            "POSTURE_AUTHORITY_HOST": server.authority_host,
            "POSTURE_GRAPH_URL": server.graph_url,
            "POSTURE_EXCHANGE_URL": server.exchange_url,
            "POSTURE_CA_BUNDLE": str(server.ca_cert_path),
            "POSTURE_CLIENT_ID": self.client_id,
            "POSTURE_CLIENT_CERTIFICATE": str(self.private_pem_path),
            "POSTURE_DNS_RESOLVER": server.dns_resolver,
        }


@contextmanager
def sim_world(folder: Path) -> Iterator[SimWorld]:
    """Start the simulator (no tenants yet: tests add their own with ``build_tenant``)."""
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    pem_path = folder / "client.pem"
    pem_path.write_text(private_pem)
    state = SimState(app=app, faults=FaultConfig())
    with SimServer(state, ca_dir=folder / "ca") as server:
        yield SimWorld(server, state, pem_path, app.client_id)


def add_tenant(world: SimWorld, profile: str = "typical") -> str:
    """Add a fresh tenant of ``profile`` (its default size) to the simulator; returns its id."""
    tenant_id = str(uuid.uuid4())
    world.state.add_tenant(build_tenant(profile, tenant_id=tenant_id))
    return tenant_id


def add_member(owner_engine: Engine, msp_id: uuid.UUID, role: Role, customer_id: uuid.UUID | None = None,
               *, tags: tuple[str, ...] = ()) -> tuple[Scope, MembershipView]:
    """A new user with one membership (no password: for service tests); their scope and membership.

    The scope's actor is ``<role>@members.test``, which tests read back from the audit trail.
    """
    user_id = uuid.uuid4()
    with owner_engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, email, display_name) VALUES (:i, :e, 'Member')"),
                           {"i": user_id, "e": f"{user_id.hex}@members.test"})
        set_scope(connection, msp_id)
        connection.execute(text("INSERT INTO memberships (id, user_id, msp_id, customer_id, role, tags) "
                                "VALUES (:i, :u, :m, :c, :r, :t)"),
                           {"i": uuid.uuid4(), "u": user_id, "m": msp_id, "c": customer_id, "r": role.value,
                            "t": list(tags)})
    scope = Scope(msp_id, None if customer_id is None else (customer_id,), f"{role.value}@members.test", user_id)
    return scope, MembershipView(msp_id=msp_id, role=role, customer_id=customer_id, tags=frozenset(tags))


def record_verdicts(owner_engine: Engine, app_engine: Engine, seeded: Seeded,
                    verdicts: Mapping[str, Status], at: dt.datetime) -> uuid.UUID:
    """Insert a running scan of ``seeded`` and record these verdicts as its result, as a worker does."""
    from portal.db.uow import unit_of_work
    from portal.services.scans import record_scan

    scan_id = insert_scan(owner_engine, seeded, status="running")
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, scan_result(verdicts, started_at=at))
    return scan_id
