"""Fleet benchmark: 200 simulated tenants scanned by 2 Dramatiq worker processes.

What it measures:
- tenants per minute: from queuing 200 onboarding scans to the last one final, with
  ``posture worker --processes 2`` (real broker, real database, the simulator over HTTPS);
- database time writing results: ``record_scan`` (check results, projection, history, connection
  state, audit, one transaction) timed in this process for a sample of real scan results, as ms
  per scan and ms per 1,000 check results.

Database: ``POSTURE_DATABASE_URL``'s server, or the embedded cluster; a scratch database is created
and dropped. Broker: ``POSTURE_BROKER_URL`` or the PostgreSQL broker on that database.

    python -m bench.fleet [--tenants 200] [--processes 2] [--threads 4] [--sample 20] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import text

from bench._workers import start_workers
from config import database as runtime
from config.broker import broker_kind, ensure_broker_schema
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.models import ScanTrigger
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.scans import record_scan, start_scan
from scanner import AppCredentials, Endpoints, TokenProvider, required_permissions, scan_tenant

MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-bench-msp")
FINAL = ("completed", "partial", "disconnected", "failed")


def _seed(owner: str, tenants: list) -> list[uuid.UUID]:
    engine = make_engine(owner, pool_size=1)
    ids = []
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO msps (id, name, slug) VALUES (:id, 'Bench MSP', 'bench')"), {"id": MSP_ID})
        for tenant in tenants:
            cid = uuid.uuid5(MSP_ID, tenant.id)
            ids.append(cid)
            connection.execute(text(
                "INSERT INTO customers (id, customer_id, msp_id, name, tenant_id) VALUES (:c, :c, :m, :n, :t)"),
                {"c": cid, "m": MSP_ID, "n": tenant.display_name, "t": tenant.id})
    engine.dispose()
    return ids


def _peak_mib(pid: int) -> float:
    """The largest peak resident set (VmHWM) among ``pid``'s child processes: the Dramatiq worker processes."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    peaks = []
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    return max(peaks, default=0.0)


def _fleet_run(owner: str, server, app, pem: Path, customer_ids: list[uuid.UUID], processes: int,
               threads: int) -> tuple[float, dict[str, int], float]:
    from config.broker import broker_from_settings
    from config.messages import BrokerScanQueue

    key = migrate.read_scope_key(owner)
    settings = load_settings().model_copy(update={"database_url": SecretStr(owner),
                                                  "scope_key": SecretStr(key.decode())})
    worker = start_workers(owner, server, app, pem, processes=processes, threads=threads)
    engine = runtime.web_engine(settings, owner)
    try:
        queue = BrokerScanQueue(broker_from_settings(settings, owner, publisher=True))
        start = time.perf_counter()
        with unit_of_work(engine, Scope.for_msp(MSP_ID, actor="system:bench")) as uow:
            scan_ids = [start_scan(uow, cid, ScanTrigger.ONBOARDING, queue=queue).id for cid in customer_ids]
        while True:
            with unit_of_work(engine, Scope.for_msp(MSP_ID, actor="system:bench")) as uow:
                statuses = uow.session.execute(text("SELECT status::text FROM scans WHERE id = ANY(:i)"),
                                               {"i": scan_ids}).scalars().all()
            if all(s in FINAL for s in statuses) and len(statuses) == len(scan_ids):
                break
            if worker.poll() is not None:
                raise RuntimeError("the worker exited")
            time.sleep(0.5)
        elapsed = time.perf_counter() - start
        peak = _peak_mib(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        engine.dispose()
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return elapsed, counts, peak


def _write_times(owner: str, server, app, pem: bytes, tenants: list, customer_ids: list[uuid.UUID],
                 sample: int) -> tuple[list[float], int]:
    tokens = TokenProvider(AppCredentials(client_id=app.client_id, certificate_pem=pem),
                           Endpoints(server.authority_host, server.graph_url, server.exchange_url),
                           ca_bundle=str(server.ca_cert_path))
    engine = make_engine(role_url(owner, DatabaseRoles().worker), scope_key=migrate.read_scope_key(owner))
    times, results = [], 0
    try:
        picked = [(t, c) for t, c in zip(tenants, customer_ids, strict=True) if t.expected_status == "completed"]
        for tenant, cid in picked[:sample]:
            result = asyncio.run(scan_tenant(tenant.id, tokens=tokens, graph_url=server.graph_url,
                                             exchange_url=server.exchange_url, ca_bundle=str(server.ca_cert_path)))
            with unit_of_work(engine, Scope.for_customer(MSP_ID, cid)) as uow:
                scan = start_scan(uow, cid, ScanTrigger.MANUAL, queue=lambda **_: None)
            begin = time.perf_counter()
            with unit_of_work(engine, Scope.for_customer(MSP_ID, cid)) as uow:
                record_scan(uow, scan.id, result)
            times.append(time.perf_counter() - begin)
            results += len(result.checks)
    finally:
        engine.dispose()
    return times, results


@dataclass(frozen=True)
class FleetRun:
    """One fleet scan's figures."""

    tenants: int
    seconds: float
    counts: dict[str, int]
    simulator_cpu_s: float
    worker_peak_mib: float
    write_times: list[float]
    results_written: int


def fleet_run(tenants: int, *, processes: int = 2, threads: int = 4, latency_ms: int = 0,
              sample: int = 20) -> FleetRun:
    """Scan a fleet of ``tenants`` with ``posture worker`` on a scratch database; then time ``sample`` writes."""
    from sim import FaultConfig, ServiceApp, SimServer, SimState
    from sim.profiles import build_fleet

    settings = load_settings()
    server_url = runtime.owner_url(settings)
    fleet = build_fleet(tenants)
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    state = SimState(app=app, faults=FaultConfig(latency_ms=latency_ms))
    for tenant in fleet:
        state.add_tenant(tenant)
    with tempfile.TemporaryDirectory(prefix="posture-bench-") as tmp, scratch_database(server_url, "posture_bench") \
            as owner, SimServer(state, ca_dir=Path(tmp)) as server:
        pem = Path(tmp) / "client.pem"
        pem.write_text(private_pem)
        pem.chmod(0o600)
        broker_url = settings.broker_url.get_secret_value() if settings.broker_url else None
        if broker_kind(broker_url) == "postgresql":
            ensure_broker_schema(broker_url or owner, DatabaseRoles())
        customer_ids = _seed(owner, fleet)
        cpu0 = server.cpu_s()
        elapsed, counts, peak_mib = _fleet_run(owner, server, app, pem, customer_ids, processes, threads)
        simulator_cpu = server.cpu_s() - cpu0
        times, results = _write_times(owner, server, app, private_pem.encode(), fleet, customer_ids, sample)
    return FleetRun(tenants, elapsed, counts, simulator_cpu, peak_mib, times, results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sample", type=int, default=20, help="scans whose database write is timed in-process")
    parser.add_argument("--latency-ms", type=int, default=0, help="simulated latency of every Microsoft response")
    args = parser.parse_args(argv)
    run = fleet_run(args.tenants, processes=args.processes, threads=args.threads, latency_ms=args.latency_ms,
                    sample=args.sample)
    settings = load_settings()
    broker_url = settings.broker_url.get_secret_value() if settings.broker_url else None
    per_minute = args.tenants / (run.seconds / 60)
    write_ms = statistics.median(run.write_times) * 1000
    per_k = sum(run.write_times) * 1000 / (run.results_written / 1000)
    print(f"tenants: {args.tenants} ({', '.join(f'{k} {v}' for k, v in sorted(run.counts.items()))})")
    # The scheme only: a broker URL can carry a password.
    broker = broker_url.split("://", 1)[0] if broker_url else "postgresql (default)"
    print(f"workers: {args.processes} processes x {args.threads} threads, broker: {broker}, "
          f"latency {args.latency_ms} ms")
    print(f"wall time: {run.seconds:.1f} s  ->  {per_minute:.0f} tenants per minute")
    print(f"simulator CPU (its thread, on the same cores): {run.simulator_cpu_s:.1f} s; "
          f"largest worker process: {run.worker_peak_mib:.0f} MiB peak resident")
    print(f"database write per scan (record_scan, one transaction): median {write_ms:.1f} ms over "
          f"{len(run.write_times)} scans; {per_k:.1f} ms per 1,000 check results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
