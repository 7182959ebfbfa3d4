"""AI helpers benchmark: the assistant's tools over ``/mcp``, on the portal benchmark's fleet of 1,000 customers.

Seeds the fleet as ``bench.portal`` does (80 checks' latest results per customer, 90 days of history),
then times tool calls as an assistant makes them: a JSON-RPC ``tools/call`` POSTed to ``/mcp`` with an
MSP admin's API token, through the real Litestar app in-process (ASGI, no network). Each call includes
what every call does: the endpoint's token check, the tool's own (it may expire mid-conversation) and
the audit of the token's use.

    python -m bench.assistant [--customers 1000] [--runs 30]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

from litestar.testing import TestClient

from bench.portal import MSP_ID, SEARCHES, _seed, _summary
from config import database as runtime
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.accounts import create_token
from portal.web.app import create_app
from portal.web.runtime import WebRuntime

_HEADERS = {"accept": "application/json, text/event-stream"}


def _time(client: TestClient, token: str, tool: str, arguments: dict[str, Any], runs: int) -> tuple[list[float], int]:
    """Seconds per call, and the answer's size in bytes."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    headers = {**_HEADERS, "authorization": f"Bearer {token}"}

    def once() -> int:
        response = client.post("/mcp", json=body, headers=headers)
        assert response.status_code == 200 and not response.json()["result"].get("isError"), response.text[:300]
        return len(response.content)

    for _ in range(3):  # warm-up: the pool, PostgreSQL's plans
        size = once()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return times, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    settings = load_settings()
    with scratch_database(runtime.owner_url(settings), "posture_bench") as owner:
        started = time.perf_counter()
        admin, customer = _seed(owner, args.customers)
        seeded_s = time.perf_counter() - started
        engine = make_engine(role_url(owner, DatabaseRoles().web), scope_key=migrate.read_scope_key(owner))
        with unit_of_work(engine, Scope(msp_id=MSP_ID, actor="bench@msp.test", user_id=admin)) as uow:
            _, token = create_token(uow, name="bench", read_write=False, days=1)
        calls: dict[str, tuple[str, dict[str, Any]]] = {
            "fleet_summary": ("fleet_summary", {}),
            "find_customers (a name)": ("find_customers", {"name": "Customer 00042"}),
            "search_findings: SMTP AUTH on": ("search_findings", {"query": SEARCHES["SMTP AUTH on (evidence)"]}),
            "search_findings: critical fails": ("search_findings", {"query": SEARCHES["every critical failure"]}),
            "customer_posture": ("customer_posture", {"customer_id": str(customer)}),
            "finding_detail": ("finding_detail", {"customer_id": str(customer),
                                                  "check_id": "exo.smtp_auth.org_disabled"}),
            "drift_since (this week, fleet)": ("drift_since", {}),
            "accepted_risks (fleet)": ("accepted_risks", {}),
        }
        results = {}
        with TestClient(create_app(WebRuntime(engine=engine))) as client:
            for label, (tool, arguments) in calls.items():
                results[label] = _time(client, token, tool, arguments, args.runs)
        engine.dispose()
    print(f"assistant: {args.customers} customers (seeded in {seeded_s:.1f} s); {args.runs} tools/call each "
          "through /mcp in-process, an MSP admin's token, after 3 warm-up calls")
    for label, (times, size) in results.items():
        print(f"{label:34} {_summary(times)}   answer {size / 1024:6.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
