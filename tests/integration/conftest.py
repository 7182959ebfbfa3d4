"""One simulator over real HTTPS for the end-to-end tests, with one tenant per profile.

The scanner talks to it exactly as it talks to Microsoft: MSAL with a certificate credential,
TLS verified against the CA the simulator generated, Graph and Exchange over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner import AppCredentials, Endpoints, ScanOptions, TokenProvider, required_permissions, scan_tenant
from scanner._result import ScanResult
from scanner.checks import TenantConfig
from sim import FaultConfig, ServiceApp, SimServer, SimState
from sim.profiles import PROFILES, build_tenant
from sim.tenant import Tenant

#: Small but not trivial: verdicts must not depend on user count (sim.profiles.MIN_USERS and up).
USERS = {"large": 10_000}
DEFAULT_USERS = 120

#: Tiny backoff so tests with injected faults spend their time on Retry-After, not on our own waits.
FAST = ScanOptions(max_concurrency=4, max_retries=6, backoff_s=0.05)


@dataclass
class World:
    server: SimServer
    state: SimState
    tenants: dict[str, Tenant]
    private_pem: bytes

    def tokens(self) -> TokenProvider:
        """A fresh provider (empty token cache), as a new worker process would have."""
        return TokenProvider(
            AppCredentials(client_id=self.state.app.client_id, certificate_pem=self.private_pem),
            Endpoints(self.server.authority_host, self.server.graph_url, self.server.exchange_url),
            ca_bundle=str(self.server.ca_cert_path),
        )

    async def scan(self, profile: str, *, checks=None, config: TenantConfig | None = None,
                   options: ScanOptions = FAST, tokens: TokenProvider | None = None) -> ScanResult:
        # The profile's expectations assume its break-glass accounts recorded, as an MSP records them.
        tenant = self.tenants[profile]
        config = config or TenantConfig(break_glass_ids=frozenset(tenant.break_glass_ids))
        return await scan_tenant(
            tenant.id, tokens=tokens or self.tokens(), graph_url=self.server.graph_url,
            exchange_url=self.server.exchange_url, checks=checks, config=config, options=options,
            ca_bundle=str(self.server.ca_cert_path), dns_resolver=self.server.dns_resolver,
        )


@contextmanager
def serving_profiles(ca_dir: Path, sizes: Mapping[str, int], *, seed: int = 0,
                     label: str = "Sample") -> Iterator[World]:
    """The simulator over HTTPS with one tenant of each profile named in ``sizes`` (profile -> users)."""
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    state = SimState(app=app, faults=FaultConfig())
    tenants = {}
    for n, name in enumerate(sorted(sizes)):
        # A name of its own for each (default names may repeat): its domains' public DNS is its own.
        tenants[name] = state.add_tenant(build_tenant(name, seed=seed + n, users=sizes[name],
                                                      display_name=f"{name.title()} {label}"))
        if tenants[name].consent == "granted":
            # Consented as a customer's admin consents: exactly the app's required permissions (the
            # catalogue's), not every permission the simulator knows, so a missing one shows.
            state.grant_consent(tenants[name].id)
    with SimServer(state, ca_dir=ca_dir) as server:
        yield World(server, state, tenants, private_pem.encode())


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    sizes = {name: USERS.get(name, DEFAULT_USERS) for name in PROFILES}
    with serving_profiles(tmp_path_factory.mktemp("sim-ca"), sizes) as world:
        yield world


@contextmanager
def cleaned(world: World) -> Iterator[World]:
    """``world`` with faults off and the request log empty, before and after."""
    world.state.set_faults(FaultConfig())
    world.state.log.reset()
    yield world
    world.state.set_faults(FaultConfig())
    world.state.log.reset()


@pytest.fixture
def clean_world(world: World) -> Iterator[World]:
    """The shared world, with faults off and the request log empty before and after the test."""
    with cleaned(world):
        yield world
