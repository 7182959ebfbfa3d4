"""What ``posture scan`` does: build the scanner's inputs, run one scan, write the result.

Two sources, one code path: ``scan_simulated`` starts the simulator in-process on a free loopback
port (HTTPS with a CA generated for the run, a fresh certificate credential for the service app)
and scans a synthetic tenant through the real scanner over HTTP; ``scan_microsoft`` scans a real
tenant with the app credentials from the settings.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from config.settings import Settings
from posture.table import ProgressDisplay, render_table
from scanner import (
    AppCredentials,
    Check,
    CredentialInvalid,
    Endpoints,
    ScanResult,
    TenantConfig,
    TokenProvider,
    TransientAuthError,
    scan_tenant,
    select_checks,
)
from scanner.outputs import ocsf_findings, scan_document, write_csv

if TYPE_CHECKING:
    from portal.services.branding import Brand

__all__ = [
    "ScanFailed",
    "ScanRequest",
    "UsageProblem",
    "report_brand",
    "scan_microsoft",
    "scan_simulated",
    "select_checks",
    "write_output",
    "write_result",
]


class UsageProblem(Exception):
    """The command line asked for something that does not exist (exit 2)."""


class ScanFailed(Exception):
    """The scan could not run for a reason that is not the tenant's (exit 1)."""


@dataclass(frozen=True)
class ScanRequest:
    checks: list[Check]
    break_glass: frozenset[str] = frozenset()
    show_progress: bool = False


async def scan_simulated(
    request: ScanRequest,
    *,
    profile: str,
    users: int | None = None,
    seed: int = 0,
    latency_ms: int = 0,
    fault_rate: float = 0.0,
    simulator_cpu: list[float] | None = None,
    ca_dir: Path | None = None,
) -> ScanResult:
    """Scan one synthetic tenant of ``profile`` served by an in-process simulator.

    ``simulator_cpu``, when given, gets the CPU seconds the simulator's thread spent serving the scan
    appended (what the benchmarks report apart from the scanner's own). ``ca_dir``, when given, keeps
    the simulator's CA there across calls, so a process that scans again trusts the same CA bundle, as
    a worker does with Microsoft's (its trust store loaded once); by default each call has a CA of its own.
    """
    from scanner import required_permissions
    from sim import FaultConfig, ServiceApp, SimServer, SimState
    from sim.profiles import PROFILES, build_tenant

    if profile not in PROFILES:
        raise UsageProblem(f"unknown profile {profile!r}; choose one of: {', '.join(sorted(PROFILES))}")
    tenant = build_tenant(profile, seed=seed, users=users)
    # The simulated app registration asks for exactly what the catalogue needs, as the real one does.
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    state = SimState(app=app, faults=FaultConfig(latency_ms=latency_ms, fault_rate=fault_rate, seed=seed))
    state.add_tenant(tenant)
    with tempfile.TemporaryDirectory(prefix="posture-sim-") as tmp, \
            SimServer(state, ca_dir=ca_dir or Path(tmp)) as server:
        tokens = TokenProvider(
            AppCredentials(client_id=app.client_id, certificate_pem=private_pem.encode()),
            Endpoints(server.authority_host, server.graph_url, server.exchange_url),
            ca_bundle=str(server.ca_cert_path),
        )
        # The simulated tenant comes as its MSP keeps it: its break-glass accounts recorded, unless given.
        if not request.break_glass:
            request = dataclasses.replace(request, break_glass=frozenset(tenant.break_glass_ids))
        cpu0 = server.cpu_s()
        try:
            return await _run(request, tenant.id, tokens, server.graph_url, server.exchange_url,
                              str(server.ca_cert_path), server.dns_resolver)
        finally:
            if simulator_cpu is not None:
                simulator_cpu.append(server.cpu_s() - cpu0)


async def scan_microsoft(request: ScanRequest, *, tenant_id: str, settings: Settings) -> ScanResult:
    """Scan a real tenant with the service app's credentials from the settings."""
    from config.microsoft import ScannerNotConfigured, app_credentials

    try:
        credentials = app_credentials(settings)
    except ScannerNotConfigured as exc:
        raise ScanFailed(str(exc)) from exc
    tokens = TokenProvider(
        credentials,
        Endpoints(settings.authority_host, settings.graph_url, settings.exchange_url),
        ca_bundle=str(settings.ca_bundle) if settings.ca_bundle else None,
    )
    ca = str(settings.ca_bundle) if settings.ca_bundle else None
    return await _run(request, tenant_id, tokens, settings.graph_url, settings.exchange_url, ca, settings.dns_resolver)


async def _run(
    request: ScanRequest, tenant_id: str, tokens: TokenProvider, graph_url: str, exchange_url: str, ca: str | None,
    dns_resolver: str | None,
) -> ScanResult:
    config = TenantConfig(break_glass_ids=request.break_glass)
    with _progress(request.show_progress) as progress:
        try:
            return await scan_tenant(
                tenant_id, tokens=tokens, graph_url=graph_url, exchange_url=exchange_url,
                checks=request.checks, config=config, ca_bundle=ca, progress=progress, dns_resolver=dns_resolver,
            )
        except CredentialInvalid as exc:
            raise ScanFailed(f"the service's own credential was rejected: {exc}") from exc
        except TransientAuthError as exc:
            raise ScanFailed(f"the identity service is unavailable, try again later: {exc}") from exc


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressDisplay | None]:
    if not enabled:
        yield None
        return
    with ProgressDisplay() as display:
        yield display


def write_result(result: ScanResult, fmt: str, out: TextIO) -> None:
    """Write the result in one of the CLI formats: json, csv, ocsf or table."""
    if fmt == "json":
        json.dump(scan_document(result), out, indent=2)
        out.write("\n")
    elif fmt == "csv":
        write_csv(result, out)
    elif fmt == "ocsf":
        json.dump(ocsf_findings(result), out, indent=2)
        out.write("\n")
    else:
        render_table(result, out)


def report_brand(name: str | None, logo_path: str | None, colour: str | None) -> Brand:
    """The brand of a one-off report from the command line. Raises ``UsageProblem`` for a bad logo or colour."""
    from portal.services.branding import DEFAULT_BRAND, accept_logo, make_brand
    from portal.services.errors import InvalidInput

    try:
        logo = accept_logo(Path(logo_path).read_bytes()) if logo_path else None
        display = name or DEFAULT_BRAND.display_name
        return make_brand(display, primary=colour, logo=logo, attribution=f"Prepared by {display}")
    except InvalidInput as exc:
        raise UsageProblem(str(exc)) from exc


def write_output(result: ScanResult, fmt: str, output: str | None, *, brand: Brand | None = None) -> None:
    """Write the result in ``fmt`` to ``output`` (a path, written through a temporary file and renamed so a
    failure leaves no half-written file) or to stdout."""
    if fmt == "pdf":
        import datetime as dt

        from portal.services.branding import DEFAULT_BRAND
        from portal.services.reports import build_report, executive_pdf, inputs_from_result

        report = build_report(inputs_from_result(result, brand or DEFAULT_BRAND, issued_on=dt.date.today()))
        data = executive_pdf(report)
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        _replace(Path(output), lambda f: f.write(data), binary=True)
        return
    if output is None:
        write_result(result, fmt, sys.stdout)
        return
    _replace(Path(output), lambda f: write_result(result, fmt, f), binary=False)


def _replace(path: Path, write: Callable[[Any], object], *, binary: bool) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
