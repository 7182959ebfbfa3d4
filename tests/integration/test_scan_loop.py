"""A worker thread's scans share one event loop and one connection pool (``scanner.ScanLoop``).

Against the simulator over real HTTPS: a second scan reuses the first one's TLS connections, reaches
the same verdicts, and another tenant's scan on the same pool reads its own tenant only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine, Iterator
from typing import Any

import httpx
import pytest

from scanner import ScanLoop, scan_tenant
from scanner._result import ScanResult
from scanner.checks import TenantConfig
from tests.integration.conftest import FAST, World, serving_profiles


def _scan(world: World, profile: str, pool: httpx.AsyncBaseTransport) -> Coroutine[Any, Any, ScanResult]:
    tenant = world.tenants[profile]

    async def run() -> ScanResult:
        return await scan_tenant(
            tenant.id, tokens=world.tokens(), graph_url=world.server.graph_url,
            exchange_url=world.server.exchange_url,
            config=TenantConfig(break_glass_ids=frozenset(tenant.break_glass_ids)), options=FAST,
            ca_bundle=str(world.server.ca_cert_path), dns_resolver=world.server.dns_resolver, pool=pool,
        )
    return run()


def _requests_per_connection(pool: httpx.AsyncHTTPTransport) -> dict[int, int]:
    # httpcore's own description of each pooled connection ends with its request count.
    counts = {}
    for connection in pool._pool.connections:
        found = re.search(r"Request Count: (\d+)", connection.info())
        counts[id(connection)] = int(found.group(1)) if found else 0
    return counts


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serving_profiles(tmp_path_factory.mktemp("sim-ca"), {"typical": 300, "neglected": 300}) as world:
        yield world


def test_a_second_scan_reuses_the_first_scans_connections_and_reaches_the_same_verdicts(two: World) -> None:
    with ScanLoop(str(two.server.ca_cert_path)) as loop:
        first = loop.run(lambda pool: _scan(two, "typical", pool))
        pool = loop._pool
        assert pool is not None
        after_first = _requests_per_connection(pool)
        assert after_first, "the first scan's connections stay open in the pool"
        second = loop.run(lambda pool: _scan(two, "typical", pool))
        after_second = _requests_per_connection(pool)

    reused = [key for key, count in after_second.items() if key in after_first and count > after_first[key]]
    assert reused, "the second scan sent requests over connections the first one opened"
    assert second.status == first.status == "completed"
    assert [(c.id, c.status) for c in second.checks] == [(c.id, c.status) for c in first.checks]


def test_another_tenant_scanned_over_the_same_pool_is_read_as_itself(two: World) -> None:
    with ScanLoop(str(two.server.ca_cert_path)) as loop:
        typical = loop.run(lambda pool: _scan(two, "typical", pool))
        neglected = loop.run(lambda pool: _scan(two, "neglected", pool))
    with ScanLoop(str(two.server.ca_cert_path)) as fresh:
        neglected_alone = fresh.run(lambda pool: _scan(two, "neglected", pool))

    assert typical.tenant.id == two.tenants["typical"].id
    assert neglected.tenant.id == two.tenants["neglected"].id
    assert [(c.id, c.status) for c in neglected.checks] == [(c.id, c.status) for c in neglected_alone.checks]
    assert [(c.id, c.status) for c in neglected.checks] != [(c.id, c.status) for c in typical.checks]


def test_one_loop_for_every_scan_and_tasks_left_behind_are_cancelled() -> None:
    left: list[asyncio.Task[None]] = []
    loops = []

    async def leaves_a_task(pool: httpx.AsyncBaseTransport) -> str:
        loops.append(asyncio.get_running_loop())
        left.append(asyncio.get_running_loop().create_task(asyncio.sleep(3600)))
        return "done"

    with ScanLoop() as loop:
        assert loop.run(leaves_a_task) == "done"
        assert left[0].cancelled(), "a task a scan leaves behind never runs inside the next scan"
        assert loop.run(leaves_a_task) == "done"
    assert loops[0] is loops[1]
    assert loops[0].is_closed()


def test_a_scan_that_raises_leaves_the_loop_usable() -> None:
    async def fails(pool: httpx.AsyncBaseTransport) -> None:
        raise RuntimeError("the tenant went away")

    async def works(pool: httpx.AsyncBaseTransport) -> int:
        return 7

    with ScanLoop() as loop:
        with pytest.raises(RuntimeError, match="went away"):
            loop.run(fails)
        assert loop.run(works) == 7
