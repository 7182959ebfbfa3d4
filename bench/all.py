"""The fleet-scale figures (``make bench``): each beside its target, medians of ``--repeat`` runs.

1. A full scan of a 10,000-user ``typical`` tenant at 100 ms of simulated latency: wall time (< 5 s).
2. Scanner CPU per 1,000 directory objects, at 1,000 and 10,000 users (<= 10 ms), with the
   simulator's own CPU beside it (it runs in this process, on the same cores): the median of the
   scans after a thread's first, as a worker runs them (``scanner.ScanLoop``), the first beside it.
3. ``record_scan`` of one scan, median (<= 10 ms).
4. 1,000 tenants at 100 ms latency with ``posture worker --processes 2`` (< 90 s), the simulator's
   CPU and the largest worker process's peak memory.

    python -m bench.all [--repeat 3] [--fleet 1000] [--threads 8] [--skip-fleet]

The machine's PostgreSQL (``POSTURE_DATABASE_URL``) or the embedded cluster; scratch databases are
created and dropped. Record the figures in docs/benchmarks.md with the commit they were measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench._workers import ROOT
from bench.fleet import fleet_run
from bench.record import record_times
from posture.scanning import ScanRequest, scan_simulated
from scanner import (
    AppCredentials,
    Endpoints,
    ScanLoop,
    ScanResult,
    TenantConfig,
    TokenProvider,
    catalogue,
    required_permissions,
    scan_tenant,
    tune_collector_for_scans,
)
from sim import FaultConfig, ServiceApp, SimServer, SimState
from sim.profiles import build_tenant


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: float
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.target


def _scan(users: int, latency_ms: int, ca_dir: Path) -> tuple[float, float, int, int, float]:
    cpu: list[float] = []
    result = asyncio.run(scan_simulated(ScanRequest(checks=list(catalogue())), profile="typical", users=users,
                                        latency_ms=latency_ms, simulator_cpu=cpu, ca_dir=ca_dir))
    if result.status != "completed":
        raise RuntimeError(f"the benchmark scan ended {result.status}: {result.error}")
    return result.stats.duration_s, result.stats.cpu_s, result.stats.objects, result.stats.requests, cpu[0]


def _steady_scans(users: int, runs: int, ca_dir: Path) -> tuple[list[ScanResult], float]:
    """``runs`` scans of one ``typical`` tenant one after another on one :class:`scanner.ScanLoop`, as a
    worker thread runs its scans (its loop, its connections and its trust store kept between them);
    returns the results and the simulator's CPU seconds per scan."""
    tenant = build_tenant("typical", users=users)
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    state = SimState(app=app, faults=FaultConfig())
    state.add_tenant(tenant)
    config = TenantConfig(break_glass_ids=frozenset(tenant.break_glass_ids))
    with SimServer(state, ca_dir=ca_dir) as server, ScanLoop(str(server.ca_cert_path)) as loop:
        tokens = TokenProvider(AppCredentials(client_id=app.client_id, certificate_pem=private_pem.encode()),
                               Endpoints(server.authority_host, server.graph_url, server.exchange_url),
                               ca_bundle=str(server.ca_cert_path))
        cpu0 = server.cpu_s()
        results = [loop.run(lambda pool: scan_tenant(
            tenant.id, tokens=tokens, graph_url=server.graph_url, exchange_url=server.exchange_url, config=config,
            ca_bundle=str(server.ca_cert_path), dns_resolver=server.dns_resolver, pool=pool)) for _ in range(runs)]
        simulator_s = (server.cpu_s() - cpu0) / runs
    for result in results:
        if result.status != "completed":
            raise RuntimeError(f"the benchmark scan ended {result.status}: {result.error}")
    return results, simulator_s


def _median(runs: list[tuple[float, ...]], index: int) -> float:
    return statistics.median(run[index] for run in runs)


def measure(repeat: int, fleet: int, threads: int, skip_fleet: bool) -> list[Figure]:
    # One simulator CA for every scan here, as a worker trusts one CA bundle for all its scans: its
    # trust store is loaded once per process (``scanner._http.trust_context``), not once per scan.
    with tempfile.TemporaryDirectory(prefix="posture-bench-ca-") as ca:
        return _measure(repeat, fleet, threads, skip_fleet, Path(ca))


def _measure(repeat: int, fleet: int, threads: int, skip_fleet: bool, ca: Path) -> list[Figure]:
    figures = []
    large = [_scan(10_000, 100, ca) for _ in range(repeat)]
    figures.append(Figure("full scan, 10,000 users, 100 ms latency", _median(large, 0), "s", 5.0,
                          f"{large[0][3]} requests"))
    for users in (1_000, 10_000):
        # The worker's steady state: the first scan of a thread opens its connections, the next reuse them.
        results, simulator_s = _steady_scans(users, repeat + 1, ca)
        objects = results[0].stats.objects
        first, then = results[0].stats.cpu_s, statistics.median(r.stats.cpu_s for r in results[1:])
        figures.append(Figure(f"scanner CPU per 1,000 objects, {users:,} users", then / (objects / 1000) * 1000,
                              "ms", 10.0, f"{objects:,} objects; a thread's first scan "
                              f"{first / (objects / 1000) * 1000:.1f} ms; simulator CPU {simulator_s:.2f} s apart"))
    medians = [statistics.median(record_times(30)) * 1000 for _ in range(repeat)]
    figures.append(Figure("record_scan of one scan, median", statistics.median(medians), "ms", 10.0,
                          "medians of " + ", ".join(f"{m:.1f}" for m in medians)))
    if not skip_fleet:
        runs_ = [fleet_run(fleet, processes=2, threads=threads, latency_ms=100, sample=3) for _ in range(repeat)]
        seconds = statistics.median(r.seconds for r in runs_)
        figures.append(Figure(
            f"fleet of {fleet:,} tenants, 100 ms latency, 2 worker processes x {threads} threads", seconds, "s", 90.0,
            f"{fleet / (seconds / 60):.0f} tenants/min; simulator CPU "
            f"{statistics.median(r.simulator_cpu_s for r in runs_):.1f} s apart; worker peak "
            f"{max(r.worker_peak_mib for r in runs_):.0f} MiB"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--fleet", type=int, default=1000, help="tenants in the fleet figure")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process in the fleet figure")
    parser.add_argument("--skip-fleet", action="store_true", help="leave out the fleet figure (minutes long)")
    args = parser.parse_args(argv)
    tune_collector_for_scans()  # as the workers and `posture scan` do
    figures = measure(args.repeat, args.fleet, args.threads, args.skip_fleet)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"commit {commit}, medians of {args.repeat} runs")
    print(f"{'figure':78} {'measured':>10} {'target':>9}  met")
    for figure in figures:
        print(f"{figure.name:78} {figure.value:>8.2f} {figure.unit:<2}{figure.target:>6g} {figure.unit:<2} "
              f"{'yes' if figure.met else 'NO '}  {figure.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
