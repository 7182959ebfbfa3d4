"""``posture demo``: the whole product on its embedded defaults, against a simulated fleet.

Starts (or reuses) the database (``POSTURE_DATABASE_URL``, or the embedded cluster under the data
folder) and migrates it; starts the Microsoft 365 simulator over HTTPS with a fleet of tenants of
mixed profiles, none of which has consented yet; makes the demo MSP and its admin; starts the portal
(``posture serve``) configured exactly as in production (``POSTURE_*`` variables pointing at the
simulator). Then it onboards every tenant the way a real one is onboarded (``posture.demo_onboarding``:
the admin adds the customer and makes its consent link in the portal, the tenant's Global
Administrator accepts on the consent page, the portal's callback verifies and queues the first scan),
starts a Dramatiq worker process, shows the scans finishing and the fleet read back from the
database, makes a login for every other role (``posture.demo_people``) and prints the portal's
address, the logins and two API tokens in CONTRACT.md's lines. It keeps running (the worker rescans
on schedule) until interrupted, or exits at once with ``--once``.

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
from portal.services.fleet import FleetQuery, FleetRow, fleet_view, with_trends
from portal.services.scans import start_scan
from posture.demo_billing import seed_billing
from posture.demo_mail import MailSink
from posture.demo_onboarding import PortalAdmin, accept_consent
from posture.demo_people import DemoLogin, seed_admin, seed_people
from scanner import required_permissions
from sim.state import SimState
from sim.tenant import Tenant

__all__ = ["DEMO_MSP_NAME", "DEMO_MSP_SLUG", "run_demo"]

DEMO_MSP_SLUG = "demo-msp"
DEMO_MSP_NAME = "Northwind MSP"
_DEMO_MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-demo-msp")
_FINAL = ("completed", "partial", "disconnected", "failed")
_RECHECK_S = 30


@dataclass
class _Running:
    portal: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [process for process in (self.portal, self.worker) if process is not None]

    def stop(self) -> None:
        for process in reversed(self.processes()):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def run_demo(settings: Settings, *, tenants: int = 12, once: bool = False, scan_timeout_s: float = 300.0,
             port: int = 8000, open_browser: bool = True) -> int:
    """Run the demo; returns the exit status. Everything it started is stopped when it ends."""
    console = Console(stderr=True, soft_wrap=True)  # progress lines stay whole in a log or a narrow terminal
    if not _port_is_free(port):
        console.print(f"[red]port {port} is in use[/]: choose another with --port")
        return 2
    demo_dir = settings.data_dir.resolve() / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    # A `kill`, `docker stop` or a closed terminal stops the demo as Ctrl-C does: everything it started ends.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
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


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _run(settings: Settings, console: Console, demo_dir: Path, *, tenants: int, once: bool, scan_timeout_s: float,
         port: int, open_browser: bool) -> int:
    from sim import ServiceApp, SimServer, SimState
    from sim.profiles import build_fleet

    owner = runtime.migrate_database(settings)
    url = f"http://127.0.0.1:{port}/"
    fleet = build_fleet(tenants, seed=0)
    for tenant in fleet:  # nobody has consented yet: onboarding does that, through the consent page
        tenant.consent, tenant.granted_permissions = "pending", set()
    app, private_pem = ServiceApp.with_certificate(redirect_uris=[f"{url}onboarding/callback"],
                                                   required_permissions=required_permissions())
    state = SimState(app=app)
    for tenant in fleet:
        state.add_tenant(tenant)
    pem_path = demo_dir / "client.pem"
    pem_path.write_text(private_pem)
    pem_path.chmod(0o600)

    with SimServer(state, ca_dir=demo_dir / "sim-ca") as server, MailSink(demo_dir / "mail") as mail:
        console.print(f"[bold]Simulator[/] of Microsoft 365 for {len(fleet)} customers at {server.base_url}")
        console.print(f"[bold]Mail[/] goes to a local SMTP sink on port {mail.smtp_port}; what it received: "
                      f"{mail.page_url}")
        env = {
            **os.environ,
            "POSTURE_DATABASE_URL": owner,
            "POSTURE_AUTHORITY_HOST": server.authority_host,
            "POSTURE_GRAPH_URL": server.graph_url,
            "POSTURE_EXCHANGE_URL": server.exchange_url,
            "POSTURE_DNS_RESOLVER": server.dns_resolver,
            "POSTURE_CLIENT_ID": app.client_id,
            "POSTURE_CLIENT_CERTIFICATE": str(pem_path),
            "POSTURE_CA_BUNDLE": str(server.ca_cert_path),
            "POSTURE_DATA_DIR": str(settings.data_dir.resolve()),
            "POSTURE_SCOPE_KEY": runtime.scope_key(settings).decode(),
            "POSTURE_PUBLIC_URL": url.rstrip("/"),
            # A revoked tenant shows as disconnected half a minute after its first failed scan, not ten.
            "POSTURE_CONNECTION_RECHECK_S": str(_RECHECK_S),
            # Alert webhooks may aim at a receiver on this machine (nothing here is on the internet).
            "POSTURE_ALERTS_ALLOW_PRIVATE_TARGETS": "true",
            # Summaries, invitations and consent links go over SMTP to the sink on loopback (no TLS there).
            "POSTURE_SMTP_HOST": "127.0.0.1",
            "POSTURE_SMTP_PORT": str(mail.smtp_port),
            "POSTURE_SMTP_TLS": "none",
            "POSTURE_MAIL_FROM": f"reports@{DEMO_MSP_SLUG}.example",
        }
        running = _Running()
        try:
            engine = runtime.web_engine(settings, owner)
            _seed_msp(owner)
            admin = seed_admin(owner, engine, _DEMO_MSP_ID, DEMO_MSP_NAME)
            # Logs go to files: the terminal shows progress, the portal's address and the logins.
            console.print(f"Portal and worker logs: {demo_dir / 'portal.log'}, {demo_dir / 'worker.log'}")
            running.portal = _start(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], env,
                                    demo_dir / "portal.log")
            if not _wait_for_portal(url, running.portal):
                console.print("[red]the portal did not start[/]: see " + str(demo_dir / "portal.log"))
                return 1
            console.print(f"[bold]Portal[/] at {url}")
            since = _database_now(engine)
            rescans = _onboard(console, url, admin, fleet, state, server.ca_cert_path, engine)
            scan_ids = _queued_since(engine, since) + _queue_scans(settings, owner, engine, rescans)
            running.worker = _start(["worker", "--processes", "1", "--threads", "4"], env, demo_dir / "worker.log")
            console.print(f"[bold]Worker[/] started (pid {running.worker.pid}); {len(scan_ids)} scans to run")
            if not _wait_for(console, engine, scan_ids, scan_timeout_s, running):
                console.print("[red]scans did not finish in time[/]: see " + str(demo_dir / "worker.log"))
                return 1
            _print_fleet(engine)
            logins = seed_people(owner, engine, _DEMO_MSP_ID, DEMO_MSP_NAME, admin)
            seed_billing(engine, _DEMO_MSP_ID, admin.email)
            _print_logins(url, logins)
            print(f"mail: {mail.page_url}", flush=True)
            kept = mail.count()
            summary = _first_summary(owner, engine, admin)
            if summary:
                _tick_now(settings, owner)
                console.print(f"[bold]Email summary[/]: {summary}'s monthly summary is due now; the worker renders "
                              f"its report and mails it to its people and its board (see the mail page)")
                if once and not mail.wait_for(kept + 1, timeout_s=scan_timeout_s):
                    console.print("[red]the summary was not mailed in time[/]: see " + str(demo_dir / "worker.log"))
                    return 1
            if once:
                return 0
            if open_browser and (os.environ.get("DISPLAY") or sys.platform == "darwin"):
                webbrowser.open(url)
            console.print("The worker rescans on schedule and the portal keeps running; Ctrl-C stops the demo.")
            while all(process.poll() is None for process in running.processes()):
                time.sleep(1)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            running.stop()


def _onboard(console: Console, url: str, admin: DemoLogin, fleet: list[Tenant], state: SimState,
             ca_bundle: Path | None,
             engine: Engine) -> list[uuid.UUID]:
    """Connect every simulated tenant through admin consent; returns customers connected by an earlier
    run (the simulator forgets consent when it stops; the portal does not), which only need a scan."""
    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        known = uow.session.execute(text("SELECT id, name, tenant_id, connection_state::text FROM customers")).all()
    bound = {row.tenant_id: row for row in known if row.tenant_id}
    waiting = {row.name: row.id for row in known if not row.tenant_id}  # added by a run that was interrupted
    rescans, consented = [], []
    console.print(f"[bold]Onboarding[/] {len(fleet)} customers by admin consent: the MSP admin adds each one and "
                  "records its break-glass accounts and makes its consent link; its Global Administrator accepts on "
                  "Microsoft's (the simulator's) page")
    with PortalAdmin(url, admin.email, admin.password) as portal:
        for number, tenant in enumerate(fleet, start=1):
            step = f"  [{number:>{len(str(len(fleet)))}}/{len(fleet)}] {tenant.display_name}"
            earlier = bound.get(tenant.id)
            if earlier is not None:
                if tenant.profile != "revoked":
                    state.grant_consent(tenant.id)  # as consented in that run (the simulator forgets)
                if tenant.break_glass_ids:
                    portal.record_break_glass(earlier.id, tenant.break_glass_ids)  # nothing changes if recorded
                rescans.append(earlier.id)
                console.print(f"{step}: onboarded in an earlier run ({earlier.connection_state}); scanning again")
                continue
            customer_id = waiting.get(tenant.display_name) or portal.add_customer(
                tenant.display_name, tenant.default_domain, tags=tenant.profile)
            if tenant.break_glass_ids:  # as the MSP knows them: its customer's emergency-access accounts
                portal.record_break_glass(customer_id, tenant.break_glass_ids)
            outcome = accept_consent(portal.consent_link(customer_id), tenant.id, ca_bundle=ca_bundle)
            colour = "green" if outcome.connected else "red"
            detail = "; its first scan is queued" if outcome.heading == "Connected" else f". {outcome.message}"
            console.print(f"{step}: [{colour}]{outcome.heading}[/]{detail}")
            consented.append(tenant)
    for tenant in consented:
        if tenant.profile == "revoked":
            state.revoke_consent(tenant.id)
            console.print(f"  {tenant.display_name} then deletes the app from its tenant (the 'revoked' profile): its "
                          f"first scan fails, a worker checks again {_RECHECK_S} s later, and the portal shows the "
                          "connection lost and how to reconnect")
    return rescans


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A ``posture`` command in its own process, configured as in production (the same database, key,
    broker and app registration), its output in ``log``."""
    return subprocess.Popen([sys.executable, "-m", "posture", *command], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


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


def _seed_msp(owner: str) -> None:
    """The demo MSP, made once by the platform (the owner), as a platform operator makes an MSP."""
    from portal.db.engine import make_engine

    engine = make_engine(owner, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO msps (id, name, slug) VALUES (:id, :name, :slug) ON CONFLICT (id) DO NOTHING"
            ), {"id": _DEMO_MSP_ID, "name": DEMO_MSP_NAME, "slug": DEMO_MSP_SLUG})
    finally:
        engine.dispose()


def _first_summary(owner: str, engine: Engine, admin: DemoLogin) -> str | None:
    """Give the first customer by name with a finished scan a monthly summary, set by the MSP admin as in
    the portal, and make it due now so the demo's mail page shows one; returns the customer's name (None:
    an earlier run sent its first summary already)."""
    from portal.db.engine import make_engine
    from portal.services.summaries import save_summary_config

    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        admin_id = uow.session.execute(text("SELECT id FROM users WHERE email = :e"), {"e": admin.email}).scalar_one()
        first = uow.session.execute(text(
            "SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM scans s WHERE s.customer_id = c.id "
            "AND s.status IN ('completed', 'partial')) ORDER BY c.name LIMIT 1")).first()
    if first is None:
        return None
    board = "board@" + "".join(ch if ch.isalnum() else "-" for ch in first.name.lower()).strip("-") + ".example"
    with unit_of_work(engine, Scope(msp_id=_DEMO_MSP_ID, actor=admin.email, user_id=admin_id)) as uow:
        save_summary_config(uow, first.id, cadence="monthly", include_customer_users=True, extra_recipients=board,
                            now=dt.datetime.now(dt.UTC))
    # The platform (the owner) brings the date forward: in the portal it would be the 1st of next month.
    platform = make_engine(owner, pool_size=1)
    try:
        with platform.begin() as connection:
            made_due = connection.execute(text("UPDATE summary_settings SET next_due_at = now() WHERE customer_id = :c "
                                    "AND next_due_at > now() AND NOT EXISTS (SELECT 1 FROM summary_sends "
                                    "WHERE customer_id = :c)"), {"c": first.id}).rowcount
    finally:
        platform.dispose()
    return str(first.name) if made_due else None


def _tick_now(settings: Settings, owner: str) -> None:
    """One tick of the schedule now, rather than at the worker's next minute."""
    from config.broker import broker_from_settings
    from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, send

    broker = broker_from_settings(settings, owner, publisher=True)
    try:
        send(broker, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)
    finally:
        broker.close()


def _database_now(engine: Engine) -> dt.datetime:
    with engine.connect() as connection:
        return connection.execute(text("SELECT now()")).scalar_one()


def _queued_since(engine: Engine, since: dt.datetime) -> list[uuid.UUID]:
    """The scans the portal queued since then: the first scans its consent callback asked for."""
    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        return list(uow.session.scalars(text("SELECT id FROM scans WHERE queued_at >= :t"), {"t": since}))


def _queue_scans(settings: Settings, owner: str, engine: Engine, customer_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    from config.broker import broker_from_settings
    from config.messages import BrokerScanQueue

    if not customer_ids:
        return []
    queue = BrokerScanQueue(broker_from_settings(settings, owner, publisher=True))
    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        return [start_scan(uow, cid, ScanTrigger.SCHEDULE, queue=queue).id for cid in customer_ids]


def _wait_for(console: Console, engine: Engine, scan_ids: list[uuid.UUID], timeout_s: float,
              running: _Running) -> bool:
    deadline, reported = time.monotonic() + timeout_s, -1
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in running.processes()):
            return False
        with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
            statuses = uow.session.execute(
                text("SELECT status::text FROM scans WHERE id = ANY(:ids)"), {"ids": scan_ids}).scalars().all()
        done = sum(status in _FINAL for status in statuses)
        if done != reported:
            console.print(f"  scans finished: {done}/{len(scan_ids)}")
            reported = done
        if done == len(scan_ids):
            return True
        time.sleep(1)
    return False


def _print_fleet(engine: Engine) -> None:
    with unit_of_work(engine, Scope.for_msp(_DEMO_MSP_ID, actor="system:demo")) as uow:
        now = dt.datetime.now(dt.UTC)
        everyone = fleet_view(uow, FleetQuery(page_size=100_000), now).rows
        rows = with_trends(uow, everyone, today=now.date())
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
