"""The simulator: Microsoft (Entra ID identity, Graph v1.0 with ``$batch``, the Exchange Online admin
API) for many synthetic tenants, over real HTTP(S) on loopback.

Typical use::

    app, secret = ServiceApp.with_secret(redirect_uris=["https://portal.test/cb"], required_permissions=[...])
    state = SimState(app, tenants=[tenant])
    with SimServer(state) as server:   # https://127.0.0.1:<free port>
        ...  # authority_host=server.authority_host, graph_url=server.graph_url, verify=server.ca_cert_path

It imports nothing from the rest of the product (not even scanner types), so it cannot share their
bugs. Tenants (``Tenant``) are plain data built by ``sim.profiles``.
"""

from __future__ import annotations

from sim.app import create_app
from sim.faults import Fault, FaultConfig, FaultInjector
from sim.graph import ROUTES, Route
from sim.server import SimServer
from sim.state import EXCHANGE_ROLES, IssuedToken, RequestLog, ServiceApp, SimState
from sim.tenant import Tenant

__all__ = [
    "EXCHANGE_ROLES",
    "ROUTES",
    "Fault",
    "FaultConfig",
    "FaultInjector",
    "IssuedToken",
    "RequestLog",
    "Route",
    "ServiceApp",
    "SimServer",
    "SimState",
    "Tenant",
    "create_app",
]
