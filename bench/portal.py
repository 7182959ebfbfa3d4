"""Portal benchmark: the pages an analyst opens every morning, over a fleet of 1,000 customers.

Seeds a scratch database (server: ``POSTURE_DATABASE_URL`` or the embedded cluster) with one MSP and
``--customers`` customers, each with the whole catalogue's latest results (80 checks), 90 days of
daily scans and scores, and the last scan's check results; then times, through the real Litestar app
in-process (ASGI, no network), as an MSP admin signed in with a browser session or an API token:

- the fleet page (first page; sorted by score; sorted by change, which reads every customer's score a
  week ago; filtered by tag, fifth page), a customer page, and ``/api/v1/customers``;
- fleet searches (``SEARCHES``) on the search page and ``/api/v1/search``.

Reports the median and the 95th percentile of each over ``--runs`` requests, after a warm-up.

    python -m bench.portal [--customers 1000] [--runs 60]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import uuid
from urllib.parse import urlencode

from litestar.testing import TestClient
from sqlalchemy import text

from config import database as runtime
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.accounts import Passwords, create_token
from portal.services.accounts._sessions import create_session
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from scanner import catalogue

MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-bench-portal-msp")
DAYS = 90
#: Fleet searches an analyst asks (issue 10): by evidence, by reference and tag, by affected object, broad.
SEARCHES = {
    "SMTP AUTH on (evidence)": "evidence.SmtpClientAuthenticationDisabled=false",
    "SCuBA ref, failing, tag": "ref:MS.EXO.5.1v1 status:fail tag:gold",
    "affected, wildcard": "affected:user@*.test status:fail",
    "every critical failure": "severity:critical status:fail",
}


def _seed(owner: str, customers: int) -> tuple[uuid.UUID, uuid.UUID]:
    """The fleet, written with set-based SQL (seconds, not minutes); returns an admin's id and a customer's."""
    checks = [(c.id, c.meta.severity.value) for c in catalogue()]
    engine = make_engine(owner, pool_size=1)
    admin = uuid.uuid4()
    with engine.begin() as connection:
        run = connection.execute
        run(text("INSERT INTO msps (id, name, slug) VALUES (:m, 'Bench MSP', 'bench-portal')"), {"m": MSP_ID})
        run(text("INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, connection_state, tags) "
                 "SELECT id, id, :m, 'Customer ' || lpad(n::text, 5, '0'), id::text, "
                 "CASE WHEN n % 50 = 0 THEN 'disconnected' ELSE 'connected' END::connection_state, "
                 "ARRAY[(ARRAY['gold','silver','bronze'])[1 + n % 3]] "
                 "FROM (SELECT n, gen_random_uuid() AS id FROM generate_series(1, :n) n) s"),
            {"m": MSP_ID, "n": customers})
        run(text("INSERT INTO scans (id, msp_id, customer_id, trigger, status, queued_at, started_at, finished_at, "
                 "score, grade, coverage, request_count, duration_s) "
                 "SELECT gen_random_uuid(), :m, c.id, 'schedule', 'completed', t, t, t + interval '2 seconds', "
                 "round((40 + random() * 60)::numeric, 1), 'C', 0.95, 32, 2.0 "
                 "FROM customers c, LATERAL (SELECT now() - d * interval '1 day' AS t "
                 "FROM generate_series(0, :days - 1) d) days"), {"m": MSP_ID, "days": DAYS})
        run(text("INSERT INTO score_history (customer_id, day, msp_id, scan_id, score, grade, coverage) "
                 "SELECT customer_id, finished_at::date, msp_id, id, score, grade, coverage FROM scans "
                 "ON CONFLICT DO NOTHING"))
        run(text("CREATE TEMP TABLE latest_scan AS SELECT DISTINCT ON (customer_id) customer_id, id, started_at "
                 "FROM scans ORDER BY customer_id, started_at DESC"))
        run(text("INSERT INTO latest_results (customer_id, check_id, msp_id, scan_id, status, severity, "
                 "scored_severity, reason, affected_count, first_seen_at, status_since, last_seen_at) "
                 "SELECT l.customer_id, ch.id, :m, l.id, CASE WHEN random() < 0.3 THEN 'fail' ELSE 'pass' END, ch.sev, "
                 "ch.sev, "
                 "NULL, 1, l.started_at - interval '89 days', l.started_at - interval '10 days', l.started_at "
                 "FROM latest_scan l, unnest(CAST(:ids AS text[]), CAST(:sevs AS text[])) AS ch(id, sev)"),
            {"m": MSP_ID, "ids": [c for c, _ in checks], "sevs": [s for _, s in checks]})
        # Evidence and affected objects as record_scan keeps them (migration 0015): SMTP AUTH's own field,
        # and one affected object per failing finding, distinct per customer.
        run(text("UPDATE latest_results SET evidence = CASE WHEN check_id = 'exo.smtp_auth.org_disabled' "
                 "THEN jsonb_build_object('SmtpClientAuthenticationDisabled', status = 'pass') "
                 "ELSE '{\"read\": 1}' END, "
                 "affected = CASE WHEN status = 'fail' THEN jsonb_build_array('user@' || customer_id || '.test') "
                 "ELSE '[]' END, "
                 "affected_keys = CASE WHEN status = 'fail' THEN ARRAY['user@' || customer_id || '.test'] "
                 "ELSE '{}' END"))
        run(text("INSERT INTO check_results (scan_id, msp_id, customer_id, check_id, status, severity, evidence, "
                 "affected) SELECT scan_id, msp_id, customer_id, check_id, status, severity, evidence, affected "
                 "FROM latest_results"))
        # What record_scan keeps on each customer row as scans finish (migration 0012).
        run(text("UPDATE customers c SET open_critical = f.critical, open_high = f.high FROM (SELECT customer_id, "
                 "count(*) FILTER (WHERE severity = 'critical') AS critical, "
                 "count(*) FILTER (WHERE severity = 'high') AS high FROM latest_results WHERE status = 'fail' "
                 "GROUP BY customer_id) f WHERE f.customer_id = c.id"))
        run(text("UPDATE customers c SET last_scan_at = s.finished_at, last_scan_status = s.status, score = s.score, "
                 "grade = s.grade, coverage = s.coverage, scored_at = s.finished_at FROM (SELECT DISTINCT ON "
                 "(customer_id) * FROM scans ORDER BY customer_id, finished_at DESC) s WHERE s.customer_id = c.id"))
        run(text("INSERT INTO users (id, email, display_name, password_hash) VALUES (:u, 'bench@msp.test', 'Bench', "
                 ":h)"), {"u": admin, "h": Passwords(migrate.read_scope_key(owner)).hash("bench password long")})
        run(text("INSERT INTO memberships (id, user_id, msp_id, role) VALUES (gen_random_uuid(), :u, :m, "
                 "'msp_admin')"), {"u": admin, "m": MSP_ID})
        customer = run(text("SELECT id FROM customers ORDER BY name LIMIT 1")).scalar_one()
    # The seeding's UPDATEs leave dead tuples behind, and autovacuum may be off on the server: a
    # production table is vacuumed, so is this one (outside a transaction, as VACUUM must be).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return admin, customer


def _time(client: TestClient, path: str, runs: int, headers: dict[str, str] | None = None) -> list[float]:
    for _ in range(5):  # warm-up: the pool, Jinja's compiled templates, PostgreSQL's plans
        assert client.get(path, headers=headers).status_code == 200, path
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, path
    return times


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the figures

    settings = load_settings()
    with scratch_database(runtime.owner_url(settings), "posture_bench") as owner:
        started = time.perf_counter()
        admin, customer = _seed(owner, args.customers)
        seeded_s = time.perf_counter() - started
        key = migrate.read_scope_key(owner)
        engine = make_engine(role_url(owner, DatabaseRoles().web), scope_key=key)
        session, _ = create_session(engine, admin, address="bench")
        with unit_of_work(engine, Scope(msp_id=MSP_ID, actor="bench@msp.test", user_id=admin)) as uow:
            _, token = create_token(uow, name="bench", read_write=False, days=1)
        with TestClient(create_app(WebRuntime(engine=engine))) as client:
            client.cookies.set("posture_session", session)
            results = {
                "fleet page, first page": _time(client, "/fleet", args.runs),
                "fleet page, sorted by score": _time(client, "/fleet?sort=score", args.runs),
                "fleet page, sorted by change": _time(client, "/fleet?sort=change", args.runs),  # every history
                "fleet page, tag filter, page 5": _time(client, "/fleet?tag=gold&page=5", args.runs),
                "customer page": _time(client, f"/customers/{customer}", args.runs),
            }
            for name, query in {**SEARCHES, "one affected user": f"affected:user@{customer}.test"}.items():
                results[f"search page: {name}"] = _time(client, "/search?" + urlencode({"q": query}), args.runs)
            client.cookies.clear()
            bearer = {"Authorization": f"Bearer {token}"}
            results["GET /api/v1/customers (token)"] = _time(client, "/api/v1/customers", args.runs, bearer)
            results["GET /api/v1/search, SMTP AUTH on"] = _time(
                client, "/api/v1/search?" + urlencode({"q": SEARCHES["SMTP AUTH on (evidence)"]}), args.runs, bearer)
        engine.dispose()
    print(f"fleet: {args.customers} customers x {len(list(catalogue()))} checks, {DAYS} days of history "
          f"(seeded in {seeded_s:.1f} s); {args.runs} requests each, in-process ASGI, after 5 warm-up requests")
    for name, times in results.items():
        print(f"{name:32} {_summary(times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
