"""Billing benchmark: seats, the running invoice and a period's close, over a fleet of 1,000 customers.

Seeds a scratch database with one MSP and ``--customers`` customers, each scanned once a day for the
past 62 days (two months: the closed one and the running one) with its managed users in the scan's
environment; then times, through the real Litestar app in-process as an MSP admin's browser session:
the Licensing page, the running invoice page, its CSV export and ``GET /api/v1/billing/invoice``; and,
as the workers do, closing last month (each close rolled back, so the next closes it afresh), with the
reading of its usage and its pure pricing (``price``) apart.

    python -m bench.billing [--customers 1000] [--runs 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
import uuid

from litestar.testing import TestClient
from sqlalchemy import text

from bench.portal import _summary, _time
from config import database as runtime
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.accounts import Passwords
from portal.services.accounts._sessions import create_session
from portal.services.billing import Period, close_period, daily_usage, price, rate_card
from portal.web.app import create_app
from portal.web.runtime import WebRuntime

MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-bench-billing-msp")
DAYS = 62


def _seed(owner: str, customers: int) -> uuid.UUID:
    engine = make_engine(owner, pool_size=1)
    admin = uuid.uuid4()
    with engine.begin() as connection:
        run = connection.execute
        run(text("INSERT INTO msps (id, name, slug) VALUES (:m, 'Bench MSP', 'bench-billing')"), {"m": MSP_ID})
        run(text("INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, connection_state, created_at, "
                 "seat_limit) SELECT id, id, :m, 'Customer ' || lpad(n::text, 5, '0'), id::text, 'connected', "
                 "now() - interval '90 days', CASE WHEN n % 3 = 0 THEN 200 END "
                 "FROM (SELECT n, gen_random_uuid() AS id FROM generate_series(1, :n) n) s"),
            {"m": MSP_ID, "n": customers})
        run(text("INSERT INTO scans (id, msp_id, customer_id, trigger, status, queued_at, started_at, finished_at, "
                 "environment) SELECT gen_random_uuid(), :m, c.id, 'schedule', 'completed', t, t, "
                 "t + interval '2 seconds', jsonb_build_object('licensed', 5 + (random() * 495)::int) "
                 "FROM customers c, LATERAL (SELECT now() - d * interval '1 day' AS t "
                 "FROM generate_series(0, :days - 1) d) days"), {"m": MSP_ID, "days": DAYS})
        run(text("INSERT INTO users (id, email, display_name, password_hash) VALUES (:u, 'bench@msp.test', 'Bench', "
                 ":h)"), {"u": admin, "h": Passwords(migrate.read_scope_key(owner)).hash("bench password long")})
        run(text("INSERT INTO memberships (id, user_id, msp_id, role) VALUES (gen_random_uuid(), :u, :m, "
                 "'msp_admin')"), {"u": admin, "m": MSP_ID})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return admin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    settings = load_settings()
    with scratch_database(runtime.owner_url(settings), "posture_bench") as owner:
        started = time.perf_counter()
        admin = _seed(owner, args.customers)
        seeded_s = time.perf_counter() - started
        key = migrate.read_scope_key(owner)
        web = make_engine(role_url(owner, DatabaseRoles().web), scope_key=key)
        worker = make_engine(role_url(owner, DatabaseRoles().worker), scope_key=key)
        session, _ = create_session(web, admin, address="bench")
        with TestClient(create_app(WebRuntime(engine=web))) as client:
            client.cookies.set("posture_session", session)
            results = {
                "Licensing page": _time(client, "/billing/licensing", args.runs),
                "running invoice page": _time(client, "/billing/invoice", args.runs),
                "running invoice CSV": _time(client, "/billing/invoice.csv", args.runs),
                "GET /api/v1/billing/invoice": _time(client, "/api/v1/billing/invoice", args.runs),
            }
        last = Period.month_of(dt.datetime.now(dt.UTC).date()).previous()
        system = Scope.for_msp(MSP_ID, actor="system:billing")
        reading, pricing, closing = [], [], []
        for _ in range(max(3, args.runs // 5)):
            with unit_of_work(worker, system) as uow:
                t0 = time.perf_counter()
                usage = daily_usage(uow, last, last.end)
                t1 = time.perf_counter()
                price(last, usage, rate_card(uow))
                t2 = time.perf_counter()
                close_period(uow, last, dt.datetime.now(dt.UTC))
                t3 = time.perf_counter()
                uow.session.rollback()  # the next round closes the same month afresh
            reading.append(t1 - t0)
            pricing.append(t2 - t1)
            closing.append(t3 - t2)
        results["close last month (all of it)"] = closing
        results["  of which reading the usage"] = reading
        results["  of which pricing (pure)"] = pricing
        web.dispose()
        worker.dispose()
    print(f"billing: {args.customers} customers, a scan a day for {DAYS} days (seeded in {seeded_s:.1f} s); "
          f"{args.runs} requests each, in-process ASGI, after 5 warm-up requests")
    for name, times in results.items():
        print(f"{name:34} {_summary(times)}")
    print(f"({len(closing)} closes of {last.label()}, each rolled back: {args.customers} invoice lines each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
