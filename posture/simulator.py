"""``posture sim``: the simulator as a standalone service on loopback.

For trying the product by hand, or pointing a worker running elsewhere on this machine at many
synthetic tenants: it prints the ``POSTURE_*`` variables to export (endpoints, the generated CA,
the service app's client id and certificate, written under the data folder with mode 0600) and the
tenants with their profiles. The control API (``/_sim/...``) revokes consent, removes permissions or
injects faults while it runs.
"""

from __future__ import annotations

import shlex
import time

import click

from config.settings import Settings
from scanner import required_permissions

__all__ = ["serve"]


def serve(settings: Settings, *, tenants: int = 12, profiles: tuple[str, ...] = (), port: int = 0,
          latency_ms: int = 0, fault_rate: float = 0.0) -> int:
    """Serve until interrupted; returns the exit status (2 for an unknown profile)."""
    from sim import FaultConfig, ServiceApp, SimServer, SimState
    from sim.profiles import COMPANY_NAMES, PROFILES, build_fleet, build_tenant

    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        click.echo(f"unknown profile(s) {', '.join(unknown)}; choose from {', '.join(sorted(PROFILES))}", err=True)
        return 2
    # Names of their own (default names may repeat), so each tenant's domains and their DNS are its own.
    fleet = ([build_tenant(p, seed=i, display_name=f"{COMPANY_NAMES[i % len(COMPANY_NAMES)]} {i + 1}")
              for i, p in enumerate(profiles)] if profiles else build_fleet(tenants))
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    state = SimState(app=app, faults=FaultConfig(latency_ms=latency_ms, fault_rate=fault_rate))
    for tenant in fleet:
        state.add_tenant(tenant)
    folder = settings.data_dir.resolve() / "sim"
    folder.mkdir(parents=True, exist_ok=True)
    pem = folder / "client.pem"
    pem.write_text(private_pem)
    pem.chmod(0o600)
    with SimServer(state, port=port, ca_dir=folder / "ca") as server:
        exports = {
            "POSTURE_AUTHORITY_HOST": server.authority_host, "POSTURE_GRAPH_URL": server.graph_url,
            "POSTURE_EXCHANGE_URL": server.exchange_url, "POSTURE_CA_BUNDLE": str(server.ca_cert_path),
            "POSTURE_DNS_RESOLVER": server.dns_resolver,
            "POSTURE_CLIENT_ID": app.client_id, "POSTURE_CLIENT_CERTIFICATE": str(pem),
        }
        click.echo(f"# Simulator at {server.base_url} (control API: {server.base_url}/_sim/tenants)")
        for name, value in exports.items():
            click.echo(f"export {name}={shlex.quote(value)}")
        click.echo("# Tenants (scan one with: posture scan --tenant-id <id>, and its break-glass accounts as an MSP "
                   "records them: --break-glass <object id> for each)")
        for tenant in fleet:
            click.echo(f"#   {tenant.id}  {tenant.profile:<10} {tenant.display_name} ({tenant.default_domain})")
            if tenant.break_glass_ids:
                click.echo("#     break-glass: " + " ".join(f"--break-glass {i}" for i in tenant.break_glass_ids))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
