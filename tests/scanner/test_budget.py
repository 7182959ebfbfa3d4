"""Request budgets: never more than a limit's units in any of its windows, however the requests come.

Windows are shortened (a limit of 48 units per 0.6 s) so the tests run in a second; the rule checked
is the one Microsoft applies: at most ``units`` in *any* window of ``window_s`` seconds.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from scanner import Limit, MemoryLedger, RequestBudget, graph_units
from scanner._budget import DEFAULT_LIMITS
from tests.support.windows import most_in_any_window

APP = Limit("app", "graph", 48, window_s=0.6)
TENANT = Limit("tenant", "graph", 36, window_s=0.6)


async def _spend_all(budget: RequestBudget, requests: list[tuple[str, int]]) -> list[float]:
    """Spend one request of ``n`` paths for each (tenant, n), all at once; the moments each was let go."""
    granted: list[float] = []

    async def one(tenant: str, n: int) -> None:
        await budget.spend("graph", tenant, ["/organization"] * n)
        granted.extend([time.time()] * n)

    await asyncio.gather(*(one(t, n) for t, n in requests))
    return granted


async def test_an_app_limit_holds_in_every_window():
    budget = RequestBudget(limits=[APP])
    granted = await _spend_all(budget, [(f"t{n}", 1) for n in range(150)])

    assert len(granted) == 150
    assert most_in_any_window(granted, APP.window_s) <= APP.units
    # It waited (150 units at 4 a slot of 0.06 s), rather than letting them through.
    assert max(granted) - min(granted) >= 2 * APP.window_s


async def test_a_tenant_limit_holds_per_tenant_and_leaves_other_tenants_alone():
    budget = RequestBudget(limits=[TENANT])

    async def quiet_later() -> list[float]:
        await asyncio.sleep(0.2)
        return await _spend_all(budget, [("quiet", 3)])

    busy, quiet = await asyncio.gather(_spend_all(budget, [("busy", 3)] * 30), quiet_later())

    assert most_in_any_window(busy, TENANT.window_s) <= TENANT.units
    # 90 units at 3 a slot keep the busy tenant waiting over a second; the quiet one is not queued behind it.
    assert max(busy) - min(busy) > 1.0
    assert quiet[0] < max(busy)


async def test_two_processes_sharing_a_ledger_hold_the_limit_together():
    ledger = MemoryLedger()  # the PostgreSQL ledger's contract, in memory
    first, second = RequestBudget(ledger, [APP]), RequestBudget(ledger, [APP])
    both = await asyncio.gather(_spend_all(first, [("a", 2)] * 40), _spend_all(second, [("b", 2)] * 40))

    assert most_in_any_window(both[0] + both[1], APP.window_s) <= APP.units


async def test_requests_held_by_their_tenant_do_not_crowd_the_apps_window_later():
    # Units are taken from every limit within one slot: a request that waited for its tenant takes the
    # app's units again when it goes, or the backlog would land in a window already counted full.
    app = Limit("app", "graph", 120, window_s=0.6)
    tenant = Limit("tenant", "graph", 12, window_s=0.6)
    budget = RequestBudget(limits=[app, tenant])

    async def the_rest_of_the_fleet_later() -> list[float]:
        await asyncio.sleep(1.0)  # the busy tenants' requests are queued on their own limit by now
        return await _spend_all(budget, [(f"t{n}", 1) for n in range(600)])

    busy, rest = await asyncio.gather(_spend_all(budget, [("busy-1", 1)] * 60 + [("busy-2", 1)] * 60),
                                      the_rest_of_the_fleet_later())

    assert len(busy + rest) == 720
    assert most_in_any_window(busy + rest, app.window_s) <= app.units


def test_the_memory_ledger_forgets_old_slots_per_key():
    ledger = MemoryLedger()
    assert ledger.take("two-second-slots", 800_000_000, 10, 10)
    for n in range(10_001):  # another key's slots (1 s each: twice the numbers) fill the ledger
        ledger.take(f"one-second-slots-{n}", 1_600_000_000, 1, 10)
    assert not ledger.take("two-second-slots", 800_000_000, 1, 10)  # still counted full


async def test_a_larger_tenant_gets_its_larger_limit_once_its_size_is_known():
    sized = Limit("tenant", "graph", 24, window_s=0.6, by_size=((501, 240),))
    budget = RequestBudget(limits=[sized])
    with pytest.raises(ValueError, match="can never fit"):
        await budget.spend("graph", "big", ["/organization"] * 20)  # 20 > 24 // 12 before the size is known
    budget.note_tenant_size("big", 10_000)
    await budget.spend("graph", "big", ["/organization"] * 20)


async def test_limits_of_another_service_do_not_apply():
    ledger = MemoryLedger()
    budget = RequestBudget(ledger, limits=[Limit("tenant", "exchange", 12, window_s=60)])
    for _ in range(50):
        await budget.spend("graph", "t", ["/organization"])  # one slot of Exchange would hold 1: no wait here
    assert ledger._used == {}
    await budget.spend("exchange", "t", ["/adminapi"])
    assert list(ledger._used.values()) == [1]


@pytest.mark.parametrize(("path", "units"), [
    ("/users?$select=id,signInActivity&$top=999", 1),  # users: 2, $select: -1
    ("/users", 2),
    ("/groups/g1/transitiveMembers?$select=id&$top=999", 4),  # 5, -1
    ("/subscribedSkus", 3),
    ("/roleManagement/directory/roleAssignments?$expand=principal", 2),  # unlisted: 1, $expand: +1
    ("/policies/authorizationPolicy", 1),
    ("https://graph.microsoft.com/v1.0/applications?%24select=id&%24skiptoken=x", 1),  # a nextLink
    ("https://127.0.0.1:8443/graph/v1.0/groups/g1/transitiveMembers", 5),  # a base URL with a path
])
def test_resource_units_follow_microsofts_table(path: str, units: int):
    assert graph_units(path) == units


def test_the_default_limits_are_microsofts():
    graph = {(lim.name, lim.measure, lim.window_s): lim for lim in DEFAULT_LIMITS if lim.service == "graph"}
    assert graph[("app", "requests", 10.0)].units == 130_000
    assert graph[("app", "resource_units", 20.0)].units == 150_000
    tenant = graph[("tenant", "resource_units", 10.0)]
    assert (tenant.units, tenant.by_size) == (3_500, ((50, 5_000), (501, 8_000)))
