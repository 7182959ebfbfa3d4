"""Re-verify benchmark: one check re-run across N simulated tenants by ``posture worker --processes 2``.

Seeds a scratch database with N customers whose projection says SMTP AUTH is on
(``exo.smtp_auth.org_disabled`` failing), on simulated tenants that answer every request after
``--latency-ms`` (100 ms by default, as a distant Microsoft region). Then, as an MSP admin, starts a
re-verify of ``check:exo.smtp_auth.org_disabled status:fail`` (``portal.services.reverify``: one
partial scan per tenant, sent as one Dramatiq group) and times it from the click to the last scan
final, on a real broker (``POSTURE_BROKER_URL``, or the PostgreSQL broker) and the simulator over HTTPS.

    python -m bench.reverify [--tenants 200 1000] [--processes 2] [--threads 4] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from bench._workers import start_workers
from config import database as runtime
from config.broker import broker_from_settings, broker_kind, ensure_broker_schema
from config.messages import BrokerScanGroup
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.models import Role
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.reverify import reverify_progress, start_reverify
from scanner import required_permissions

MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-bench-reverify-msp")
CHECK = "exo.smtp_auth.org_disabled"


def _seed(owner: str, tenant_ids: list[str]) -> uuid.UUID:
    """The customers, each with a failing SMTP AUTH verdict in its projection; returns an MSP admin's id."""
    engine = make_engine(owner, pool_size=1)
    admin = uuid.uuid4()
    with engine.begin() as connection:
        run = connection.execute
        run(text("INSERT INTO msps (id, name, slug) VALUES (:m, 'Bench MSP', 'bench-reverify')"), {"m": MSP_ID})
        run(text("INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, connection_state, scored_at) "
                 "SELECT id, id, :m, 'Customer ' || lpad(n::text, 5, '0'), t, 'connected', now() "
                 "FROM (SELECT n, gen_random_uuid() AS id, t FROM unnest(CAST(:t AS text[])) WITH ORDINALITY "
                 "AS x(t, n)) s"), {"m": MSP_ID, "t": tenant_ids})
        run(text("INSERT INTO scans (id, msp_id, customer_id, trigger, status, started_at, finished_at) "
                 "SELECT gen_random_uuid(), :m, id, 'schedule', 'completed', now() - interval '1 day', "
                 "now() - interval '1 day' FROM customers"), {"m": MSP_ID})
        run(text("INSERT INTO latest_results (customer_id, check_id, msp_id, scan_id, status, severity, "
                 "scored_severity, settled_status, first_seen_at, status_since, last_seen_at, evidence) "
                 "SELECT customer_id, :k, msp_id, id, 'fail', 'high', 'high', 'fail', started_at, started_at, "
                 "started_at, "
                 "'{\"SmtpClientAuthenticationDisabled\": false}' FROM scans"), {"k": CHECK})
        run(text("INSERT INTO users (id, email, display_name) VALUES (:u, 'bench@msp.test', 'Bench')"), {"u": admin})
        run(text("INSERT INTO memberships (id, user_id, msp_id, role) VALUES (gen_random_uuid(), :u, :m, "
                 "'msp_admin')"), {"u": admin, "m": MSP_ID})
        run(text("ANALYZE"))
    engine.dispose()
    return admin


def _reverify(owner: str, admin: uuid.UUID, tenants: int, timeout_s: float) -> tuple[float, dict[str, int]]:
    settings = load_settings()
    engine = make_engine(role_url(owner, DatabaseRoles().web), scope_key=migrate.read_scope_key(owner))
    scope = Scope(MSP_ID, None, "bench@msp.test", admin)
    group = BrokerScanGroup(broker_from_settings(settings, owner, publisher=True))
    try:
        started = time.perf_counter()
        with unit_of_work(engine, scope) as uow:
            run = start_reverify(uow, MembershipView(msp_id=MSP_ID, role=Role.MSP_ADMIN), actor="bench@msp.test",
                                 query=f"check:{CHECK} status:fail", now=dt.datetime.now(dt.UTC), send=group)
        assert run.tenants == tenants, run
        while time.perf_counter() - started < timeout_s:
            with unit_of_work(engine, scope) as uow:
                progress = reverify_progress(uow, run.run_id, finished_limit=0)
            if progress.complete:
                return time.perf_counter() - started, progress.by_status
            time.sleep(0.25)
        raise RuntimeError(f"the re-verify did not finish in {timeout_s:.0f} s: {progress.by_status}")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from sim import FaultConfig, ServiceApp, SimServer, SimState
    from sim.profiles import build_tenant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="posture worker's default")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    args = parser.parse_args(argv)

    settings = load_settings()
    broker_url = settings.broker_url.get_secret_value() if settings.broker_url else None
    print(f"re-verify of one check ({CHECK}); simulator latency {args.latency_ms:.0f} ms per request; "
          f"posture worker --processes {args.processes} --threads {args.threads}; broker: "
          f"{broker_url.split('://', 1)[0] if broker_url else 'postgresql (default)'}")
    for count in args.tenants:
        app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
        state = SimState(app=app, faults=FaultConfig(latency_ms=args.latency_ms))
        tenant_ids = [state.add_tenant(build_tenant("neglected", seed=i, users=10, tenant_id=str(uuid.uuid4()))).id
                      for i in range(count)]
        with tempfile.TemporaryDirectory(prefix="posture-bench-") as tmp, \
                scratch_database(runtime.owner_url(settings), "posture_bench") as owner, \
                SimServer(state, ca_dir=Path(tmp)) as server:
            pem = Path(tmp) / "client.pem"
            pem.write_text(private_pem)
            pem.chmod(0o600)
            if broker_kind(broker_url) == "postgresql":
                ensure_broker_schema(broker_url or owner, DatabaseRoles())
            admin = _seed(owner, tenant_ids)
            workers = start_workers(owner, server, app, pem, processes=args.processes, threads=args.threads)
            try:
                time.sleep(5)  # let the workers boot: the figure is the re-verify's, not Python's start-up
                elapsed, statuses = _reverify(owner, admin, count, args.timeout_s)
            finally:
                workers.terminate()
                workers.wait(timeout=60)
            # HTTP requests the tenants received (a $batch's sub-requests are inside one).
            requests = sum(n for t in state.log.counts().values() for k, n in t.items()
                           if k in ("identity", "graph", "batch", "exchange"))
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        print(f"{count:5} tenants: {elapsed:6.1f} s wall ({count / elapsed * 60:5.0f} tenants per minute), "
              f"{requests / count:.1f} requests per tenant; {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
