"""One process of a fleet fan-out: scan many tenants at once, every request through a shared budget.

Run as ``python -m tests.support.fanout`` with a JSON job on stdin (the simulator's endpoints, the
app's credentials, the worker role's database URL, the tenants, the limits); prints one JSON line:
each scan's status. Two of these side by side are two worker processes sharing one ledger.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from portal.db.engine import make_engine
from portal.services.request_budget import PostgresLedger
from scanner import AppCredentials, Endpoints, Limit, RequestBudget, TokenProvider, get_check, scan_tenant


async def _run(job: dict[str, Any]) -> list[str]:
    tokens = TokenProvider(AppCredentials(client_id=job["client_id"], certificate_pem=job["pem"].encode()),
                           Endpoints(job["authority"], job["graph_url"], job["exchange_url"]),
                           ca_bundle=job["ca_bundle"])
    engine = make_engine(job["database_url"], pool_size=2)
    budget = RequestBudget(PostgresLedger(engine), [Limit(**limit) for limit in job["limits"]])
    checks = [get_check(c) for c in job["checks"]]
    at_once = asyncio.Semaphore(job["concurrency"])

    async def one(tenant_id: str) -> str:
        async with at_once:
            result = await scan_tenant(tenant_id, tokens=tokens, graph_url=job["graph_url"],
                                       exchange_url=job["exchange_url"], checks=checks, ca_bundle=job["ca_bundle"],
                                       dns_resolver="none", request_budget=budget)
            return result.status

    try:
        return await asyncio.gather(*(one(t) for t in job["tenants"]))
    finally:
        engine.dispose()


def main() -> None:
    print(json.dumps(asyncio.run(_run(json.load(sys.stdin)))))


if __name__ == "__main__":
    main()
