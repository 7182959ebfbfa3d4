"""Throttling budgets hold under a 1,000-tenant fan-out by two processes sharing one ledger.

Two scanning processes (as two worker processes are) read 1,000 simulated tenants at once, and one
tenant forty times more (a tenant two MSPs share, scanned by both), every request through a
``RequestBudget`` on the PostgreSQL ledger. Microsoft's limits are scaled down to a few seconds so
the fan-out must be held back to keep them: the simulator enforces them too (429 past a budget) and
its request log, read afterwards, must show no window of any tenant, nor of the app, over its limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from portal.db.engine import role_url
from scanner import required_permissions
from sim import FaultConfig, ServiceApp, SimServer, SimState
from sim.profiles import MIN_USERS, build_tenant
from tests.conftest import ROLES
from tests.support.database import ROOT
from tests.support.windows import most_in_any_window

TENANTS = 1_000
SHARED_SCANS = 40
WINDOW_S = 4.0
APP_LIMIT = 1_200  # requests per WINDOW_S, across all tenants (Graph's 130,000 per 10 s, scaled down)
TENANT_LIMIT = 36  # requests per WINDOW_S for one tenant
#: One check reading one ungated collection: each scan is one $batch of three requests.
CHECKS = ["entra.authz.no_user_app_registration"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory):
    app, private_pem = ServiceApp.with_certificate(required_permissions=required_permissions())
    faults = FaultConfig(throttle_requests_per_10s=TENANT_LIMIT, throttle_app_requests_per_10s=APP_LIMIT,
                         throttle_window_s=WINDOW_S)
    state = SimState(app=app, faults=faults, log_lines=50_000)
    tenants = [state.add_tenant(build_tenant("free", seed=n, users=MIN_USERS, display_name=f"Fanout {n}"))
               for n in range(TENANTS)]
    for tenant in tenants:
        state.grant_consent(tenant.id)
    with SimServer(state, ca_dir=Path(tmp_path_factory.mktemp("sim-ca-fanout"))) as server:
        yield state, server, [t.id for t in tenants], private_pem


def _job(server: SimServer, state: SimState, pem: str, database_url: str, tenants: list[str]) -> str:
    limits = [{"name": "app", "service": "graph", "units": APP_LIMIT, "window_s": WINDOW_S},
              {"name": "tenant", "service": "graph", "units": TENANT_LIMIT, "window_s": WINDOW_S}]
    return json.dumps({
        "client_id": state.app.client_id, "pem": pem, "authority": server.authority_host,
        "graph_url": server.graph_url, "exchange_url": server.exchange_url, "ca_bundle": str(server.ca_cert_path),
        "database_url": database_url, "limits": limits, "checks": CHECKS, "concurrency": 20, "tenants": tenants,
    })


def test_budgets_hold_for_the_app_and_every_tenant_under_a_fan_out(fleet, owner_url: str, owner_engine: Engine):
    state, server, tenant_ids, pem = fleet
    shared = tenant_ids[0]
    work = tenant_ids + [shared] * SHARED_SCANS
    halves = [work[0::2], work[1::2]]  # the shared tenant's scans land in both processes
    database_url = role_url(owner_url, ROLES.worker).render_as_string(hide_password=False)
    state.log.reset()
    started = time.monotonic()
    processes = [subprocess.Popen([sys.executable, "-m", "tests.support.fanout"], cwd=ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in halves]
    outputs = [p.communicate(_job(server, state, pem, database_url, half), timeout=600)
               for p, half in zip(processes, halves, strict=True)]
    elapsed = time.monotonic() - started
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    statuses = [s for out, _ in outputs for s in json.loads(out)]

    assert len(statuses) == TENANTS + SHARED_SCANS
    assert set(statuses) == {"completed"}
    # What Microsoft would have counted: every Graph request and every request inside a $batch.
    counted = [line for line in state.log.lines() if line["kind"] in ("graph", "batch_subrequest")]
    per_tenant: dict[str, list[float]] = defaultdict(list)
    for line in counted:
        per_tenant[line["tenant"]].append(line["time"])
    assert len(counted) == 3 * (TENANTS + SHARED_SCANS)
    assert most_in_any_window([line["time"] for line in counted], WINDOW_S) <= APP_LIMIT
    assert max(most_in_any_window(times, WINDOW_S) for times in per_tenant.values()) <= TENANT_LIMIT
    assert state.log.total("fault_429") == 0  # the simulator never had to throttle anyone
    # The budgets held the fan-out back: unthrottled, 3,120 requests take a few seconds; the app's limit
    # allows them no faster than this (and the shared tenant's 120 no faster than 2.3 windows).
    assert elapsed >= (len(counted) / APP_LIMIT - 1) * WINDOW_S
    assert max(per_tenant[shared]) - min(per_tenant[shared]) >= (3 * (SHARED_SCANS + 1) / TENANT_LIMIT - 1) * WINDOW_S
    with owner_engine.connect() as connection:  # the ledger the two processes shared
        keys = set(connection.execute(text("SELECT key FROM request_budget")).scalars())
    assert "graph:requests:app" in keys and f"graph:requests:tenant:{shared.lower()}" in keys
