"""Recording benchmark: ``record_scan`` of one full scan (80 check results, projection, changes, trend).

Seeds a scratch database with one MSP and one customer, then records ``--runs`` scans of it one after
another, as a worker does (its own unit of work each, the worker role, row-level security on), each
scan's verdicts flipping a few checks so the projection's upsert and the change log both have work.
Prints the median and the 95th percentile after 5 warm-up scans.

    python -m bench.record [--runs 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import uuid

from sqlalchemy import text

from bench.portal import _summary
from config import database as runtime
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.scans import record_scan
from scanner import CheckResult, ScanResult, ScanStats, Status, TenantInfo, catalogue, grade

MSP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-bench-record-msp")
CUSTOMER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "posture-bench-record-customer")


def _result(n: int, started: dt.datetime) -> ScanResult:
    checks = tuple(
        CheckResult(check.meta, Status.FAIL if (i + n) % 7 == 0 else Status.PASS, None,
                    {"read": i, "setting": f"value {n % 3}"}, [f"user{j}@contoso.test" for j in range(i % 6)])
        for i, check in enumerate(catalogue()))
    return ScanResult(tenant=TenantInfo(id=str(CUSTOMER_ID), name="Contoso", default_domain="contoso.test"),
                      status="completed", score=70.0, grade=grade(70.0), coverage=1.0, checks=checks,
                      stats=ScanStats(requests=120, duration_s=3.0), started_at=started,
                      finished_at=started + dt.timedelta(seconds=3))


def record_times(runs: int) -> list[float]:
    """Seconds each of ``runs`` ``record_scan`` calls took (after 5 warm-up scans), on a scratch database."""
    settings = load_settings()
    with scratch_database(runtime.owner_url(settings), "posture_bench") as owner:
        owner_engine = make_engine(owner, pool_size=1)
        with owner_engine.begin() as connection:
            connection.execute(text("INSERT INTO msps (id, name, slug) VALUES (:m, 'Bench MSP', 'bench-record')"),
                               {"m": MSP_ID})
            connection.execute(text("INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, "
                                    "connection_state) VALUES (:c, :c, :m, 'Contoso', :c, 'connected')"),
                               {"c": CUSTOMER_ID, "m": MSP_ID})
        owner_engine.dispose()
        worker = make_engine(role_url(owner, DatabaseRoles().worker), scope_key=migrate.read_scope_key(owner))
        scope = Scope.for_customer(MSP_ID, CUSTOMER_ID)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        times = []
        for n in range(runs + 5):
            scan_id = uuid.uuid4()
            with unit_of_work(worker, scope) as uow:
                uow.session.execute(text("INSERT INTO scans (id, msp_id, customer_id, trigger, status) "
                                         "VALUES (:s, :m, :c, 'schedule', 'running')"),
                                    {"s": scan_id, "m": MSP_ID, "c": CUSTOMER_ID})
            began = time.perf_counter()
            with unit_of_work(worker, scope) as uow:
                record_scan(uow, scan_id, _result(n, start + dt.timedelta(minutes=n)))
            if n >= 5:
                times.append(time.perf_counter() - began)
        worker.dispose()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    times = record_times(args.runs)
    print(f"record_scan: {len(list(catalogue()))} check results a scan, {args.runs} scans of one customer "
          "(worker role, RLS on), after 5 warm-up scans")
    print(f"{'record_scan (the whole transaction)':38} {_summary(times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
