"""``posture demo``: the whole product on its embedded defaults, against a simulated fleet.

Starts (or reuses) the database (``POSTURE_DATABASE_URL``, or the embedded cluster under the data
folder), migrates it, starts the Microsoft 365 simulator with a fleet of customers of mixed profiles
over HTTPS, seeds a demo MSP with those customers, starts a Dramatiq worker process configured
exactly as a production worker would be (``POSTURE_*`` variables pointing at the simulator), queues
an onboarding scan per customer and, once they are done, prints the fleet summary read back from the
database, makes a login for every role (``posture.demo_people``), starts the portal (``posture
serve``) and prints its address, the logins and two API tokens in CONTRACT.md's lines. It then
keeps running (the worker rescans on schedule) until interrupted, or exits at once with ``--once``.

Everything it writes lives under the data folder: the cluster, the simulator's CA and the service
app's client certificate (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import webbrowser
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from config import database as runtime
from config.settings import Settings
from portal.db.models import ScanTrigger
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.fleet import FleetRow, fleet_summary, with_trends
from portal.services.scans import start_scan
from posture.demo_people import DemoLogin, seed_people
from scanner import required_permissions
from sim.tenant import Tenant

__all__ = ["DEMO_MSP_NAME", "DEMO_MSP_SLUG", "run_demo"]

DEMO_MSP_SLUG = "demo-msp"
DEMO_MSP_NAME = "Northwind MSP"
_DEMO_MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-demo-msp")
_FINAL = ("completed", "partial", "disconnected", "failed")


@dataclass
class _Running:
    worker: subprocess.Popen[bytes]
    portal: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        for process in (self.portal, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def run_demo(settings: Settings, *, tenants: int = 12, once: bool = False, scan_timeout_s: float = 300.0,
             port: int = 8000, open_browser: bool = True) -> int:
    """Run the demo; returns the exit status. Everything it started is stopped when it ends."""
    console = Console(stderr=True)
    if not _port_is_free(port):
        console.print(f"[red]port {port} is in use[/]: choose another with --port")
        return 2
    demo_dir = settings.data_dir.resolve() / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    console.print("[bold]Starting the database[/] (POSTURE_DATABASE_URL or the embedded cluster)")
    cluster = runtime.embedded_cluster(settings)
    started_here = cluster is not None and not cluster.is_running()  # then the demo stops it too
    try:
        return _run(settings, console, demo_dir, tenants=tenants, once=once, scan_timeout_s=scan_timeout_s,
                    port=port, open_browser=open_browser)
    finally:
        if started_here and cluster is not None:
            cluster.stop()
            console.print("[bold]Stopped[/] the embedded PostgreSQL server the demo started")
        elif cluster is not None:
            console.print("The embedded PostgreSQL server was running before the demo and keeps running: "
                          "`posture db stop` ends it")


def _run(settings: Settings, console: Console, demo_dir: Path, *, tenants: int, once: bool, scan_timeout_s: float,
         port: int, open_browser: bool) -> int:
    from sim import ServiceApp, SimServer, SimState
    from sim.profiles import build_fleet

    owner = runtime.migrate_database(settings)

    fleet = build_fleet(tenants, seed=0)
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    state = SimState(app=app)
    for tenant in fleet:
        state.add_tenant(tenant)
    pem_path = demo_dir / "client.pem"
    pem_path.write_text(private_pem)
    pem_path.chmod(0o600)

    with SimServer(state, ca_dir=demo_dir / "sim-ca") as server:
        console.print(f"[bold]Simulator[/] for {len(fleet)} customers at {server.base_url}")
        worker_env = {
            **os.environ,
            "POSTURE_DATABASE_URL": owner,
            "POSTURE_AUTHORITY_HOST": server.authority_host,
            "POSTURE_GRAPH_URL": server.graph_url,
            "POSTURE_EXCHANGE_URL": server.exchange_url,
            "POSTURE_CLIENT_ID": app.client_id,
            "POSTURE_CLIENT_CERTIFICATE": str(pem_path),
            "POSTURE_CA_BUNDLE": str(server.ca_cert_path),
            "POSTURE_DATA_DIR": str(settings.data_dir.resolve()),
            "POSTURE_SCOPE_KEY": runtime.scope_key(settings).decode(),
        }
        # Logs go to files: the terminal shows progress, the portal's address and the logins.
        worker_log = (demo_dir / "worker.log").open("ab")
        worker = subprocess.Popen([sys.executable, "-m", "posture", "worker", "--processes", "1", "--threads", "4"],
                                  env=worker_env, stdout=worker_log, stderr=subprocess.STDOUT)
        console.print(f"Worker and portal logs: {demo_dir / 'worker.log'}, {demo_dir / 'portal.log'}")
        running = _Running(worker)
        try:
            engine = runtime.web_engine(settings, owner)
            _seed(owner, fleet)
            scan_ids = _queue_scans(settings, owner, engine)
            console.print(f"[bold]Worker[/] started (pid {worker.pid}); {len(scan_ids)} onboarding scans queued")
            if not _wait_for(engine, scan_ids, scan_timeout_s, running):
                console.print("[red]scans did not finish in time[/]")
                return 1
            _print_fleet(engine)
            logins = seed_people(owner, engine, _DEMO_MSP_ID, DEMO_MSP_NAME)
            portal = _start_portal(worker_env, port, demo_dir / "portal.log")
            running.portal = portal
            url = f"http://127.0.0.1:{port}/"
            if not _wait_for_portal(url, portal):
                console.print("[red]the portal did not start[/]")
                return 1
            _print_logins(url, logins)
            if once:
                return 0
            if open_browser and (os.environ.get("DISPLAY") or sys.platform == "darwin"):
                webbrowser.open(url)
            console.print("The worker rescans on schedule and the portal keeps running; Ctrl-C stops the demo.")
            while worker.poll() is None and portal.poll() is None:
                time.sleep(1)
            return worker.returncode or portal.returncode or 0
        except KeyboardInterrupt:
            return 0
        finally:
            running.stop()


def _start_portal(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``posture serve`` on loopback, configured like the worker (the same database, key and broker)."""
    return subprocess.Popen([sys.executable, "-m", "posture", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait_for_portal(url: str, portal: subprocess.Popen[bytes], timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and portal.poll() is None:
        try:
            if httpx.get(url + "healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.2)
    return False


def _print_logins(url: str, logins: list[DemoLogin]) -> None:
    """CONTRACT.md's lines, on stdout: the portal, a login per role, the demo's API tokens."""
    lines = [f"portal: {url}", *(f"login {login.role} {login.email} {login.password}" for login in logins),
             *(f"token {login.role} {login.token}" for login in logins if login.token)]
    print("\n".join(lines), flush=True)


def _seed(owner: str, fleet: list[Tenant]) -> None:
    """The demo MSP and one customer per simulated tenant, created once (idempotent)."""
    from portal.db.engine import make_engine

    engine = make_engine(owner, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO msps (id, name, slug) VALUES (:id, :name, :slug) ON CONFLICT (id) DO NOTHING"
            ), {"id": _DEMO_MSP_ID, "name": DEMO_MSP_NAME, "slug": DEMO_MSP_SLUG})
            for tenant in fleet:
                customer_id = uuid.uuid5(_DEMO_MSP_ID, tenant.id)
                connection.execute(text(
                    "INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, default_domain, tags) "
                    "VALUES (:id, :id, :msp, :name, :tenant, :domain, :tags) ON CONFLICT (id) DO NOTHING"
                ), {"id": customer_id, "msp": _DEMO_MSP_ID, "name": tenant.display_name, "tenant": tenant.id,
                    "domain": tenant.default_domain, "tags": [tenant.profile]})
    finally:
        engine.dispose()


def _queue_scans(settings: Settings, owner: str, engine: Engine) -> list[uuid.UUID]:
    from config.broker import broker_from_settings
    from config.messages import BrokerScanQueue

    queue = BrokerScanQueue(broker_from_settings(settings, owner, publisher=True))
    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        customer_ids = list(uow.session.scalars(text("SELECT id FROM customers ORDER BY name")))
        return [start_scan(uow, cid, ScanTrigger.ONBOARDING, queue=queue).id for cid in customer_ids]


def _wait_for(engine: Engine, scan_ids: list[uuid.UUID], timeout_s: float, running: _Running) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if running.worker.poll() is not None:
            return False
        with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
            statuses = uow.session.execute(
                text("SELECT status::text FROM scans WHERE id = ANY(:ids)"), {"ids": scan_ids}).scalars().all()
        if len(statuses) == len(scan_ids) and all(s in _FINAL for s in statuses):
            return True
        time.sleep(1)
    return False


def _print_fleet(engine: Engine) -> None:
    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        today = dt.datetime.now(dt.UTC).date()
        rows = with_trends(uow, fleet_summary(uow, today=today), today=today)
    render_fleet(rows, Console(width=max(140, Console().width)))


def render_fleet(rows: list[FleetRow], console: Console) -> None:
    """The fleet as a table: what the portal's fleet page will show."""
    table = Table(title="Fleet", expand=False)
    for column in ("Customer", "Connection", "Score", "Coverage", "Last scan", "Open critical / high", "Trend (30 d)"):
        table.add_column(column)
    for row in rows:
        score = "-" if row.score is None else f"{row.score:.1f} ({row.grade})"
        coverage = "-" if row.coverage is None else f"{row.coverage:.0%}"
        last = "-" if row.last_scan_at is None else f"{row.last_scan_status} {row.last_scan_at:%Y-%m-%d %H:%M}"
        trend = " ".join(f"{p.score:.0f}" for p in row.trend if p.score is not None) or "-"
        reason = (row.connection_reason or "").split(":")[0][:40]
        connection = str(row.connection_state) + (f" ({reason})" if reason else "")
        table.add_row(row.name, connection, score, coverage, last, f"{row.open_critical} / {row.open_high}", trend)
    console.print(table)
