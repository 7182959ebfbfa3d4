"""Request budgets: stay under Microsoft's throttling limits, however many scans run at once.

Microsoft counts requests per app across all tenants (Graph: 130,000 per 10 s), per app and tenant
in resource units (identity and access: 3,500 to 8,000 per 10 s by tenant size; see
:func:`graph_units`), and every request inside a ``$batch`` on its own. Going over costs 429s
that every scan of the fleet then waits out. So every attempt a scan sends first takes its units from
a :class:`RequestBudget`: per app, per app and tenant, per service.

How a budget stays under a limit of ``L`` per window ``W`` over *any* ``W`` seconds, shared by many
processes: time is cut into slots of ``W / 10``; a slot may hand out ``L / 12`` units. Any ``W``
seconds touch at most 11 slots, and one more slot's worth of margin covers the time between taking
units here and Microsoft counting the request there. Units are taken from a :class:`Ledger` in
leases (a process takes up to :data:`LEASE` units at once and hands them out locally), so a shared
ledger (PostgreSQL, ``portal.services.budget``) sees one round trip per lease, not per request. A
lease unspent when its slot ends is lost: the budget errs on the side of Microsoft's limit.

A slot with nothing left makes the caller wait for the next one, inside the scan (it is not an error):
scans slow down together instead of being throttled one by one. Two things the guarantee rests on:
the hosts' clocks agree to well under a slot (NTP; slots are cut from each host's own clock), and the
ledger answers: a ledger that fails (the database gone) fails the scan, which the worker retries;
requests are never let through uncounted.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DEFAULT_LIMITS",
    "LEASE",
    "Ledger",
    "Limit",
    "MemoryLedger",
    "RequestBudget",
    "graph_units",
]

#: Most units a process takes from the ledger at once for one key and slot.
LEASE = 200
#: Slots per window, and the slots' worth of margin kept (see the module docstring).
_SLOTS, _MARGIN = 10, 2


@dataclass(frozen=True)
class Limit:
    """One of Microsoft's limits: ``units`` per ``window_s`` seconds.

    Attributes:
        name: what it is counted on: ``"app"`` (the whole app, every tenant) or ``"tenant"`` (per tenant).
        service: ``"graph"`` or ``"exchange"``.
        measure: ``"requests"`` (each counts 1) or ``"resource_units"`` (:func:`graph_units`).
        by_size: larger ``units`` for tenants of at least so many users, ``((users, units), ...)``
            ascending; ``units`` holds until the scan has counted the tenant's users.
    """

    name: str
    service: str
    units: int
    window_s: float = 10.0
    measure: str = "requests"
    by_size: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.name not in ("app", "tenant") or self.measure not in ("requests", "resource_units"):
            raise ValueError(f"unknown limit {self.name!r} measured in {self.measure!r}")
        if self.units < _SLOTS + _MARGIN or self.window_s <= 0:
            raise ValueError(f"a limit needs at least {_SLOTS + _MARGIN} units and a positive window")

    @property
    def slot_s(self) -> float:
        return self.window_s / _SLOTS

    def per_slot(self, users: int | None = None) -> int:
        """Units one slot may hand out, for a tenant of ``users`` users (None: not known yet)."""
        units = self.units
        for at_least, larger in self.by_size:
            if users is not None and users >= at_least:
                units = larger
        return units // (_SLOTS + _MARGIN)


#: Microsoft's published limits (learn.microsoft.com/graph/throttling-limits; research/msp-anchors.md §3.5).
#: Per tenant by its size ("S - under 50 users, M - between 50 and 500 users, and L - above 500 users"):
#: the smallest size's until the scan has read the users. Exchange Online's admin API publishes no limit:
#: 600 requests per 10 s per tenant is our own guard (a 10,000-mailbox scan sends about 35 in all: it
#: never waits on it; a runaway paging loop would).
DEFAULT_LIMITS: tuple[Limit, ...] = (
    Limit("app", "graph", 130_000),
    Limit("app", "graph", 150_000, window_s=20.0, measure="resource_units"),
    Limit("tenant", "graph", 3_500, measure="resource_units", by_size=((50, 5_000), (501, 8_000))),
    Limit("tenant", "exchange", 600),
)


#: Base costs of the reads the scanner sends, from "Identity and access service limits"
#: (learn.microsoft.com/graph/throttling-limits): "Any requests not listed have a base cost of 1".
_BASE_COSTS = (
    (re.compile(r"^/groups/[^/?]+/transitiveMembers"), 5),
    (re.compile(r"^/groups/[^/?]+/members"), 3),
    (re.compile(r"^/subscribedSkus"), 3),
    (re.compile(r"^/applications(?:[/?]|$)"), 2),
    (re.compile(r"^/users(?:[/?]|$)"), 2),
)


def graph_units(path: str) -> int:
    """Resource units one Graph read costs, as documented: its base cost, one less with ``$select``,
    one more with ``$expand``, never below 1 (the ``$top`` under 20 discount is not taken: we never
    count less than Microsoft may). ``path`` is relative to the version (``/users?...``)."""
    path = urllib.parse.unquote(path)
    if "/v1.0/" in path.partition("?")[0]:  # an absolute URL (a nextLink), whatever path the base has
        path = path[path.index("/v1.0/") + len("/v1.0"):]
    cost = next((units for pattern, units in _BASE_COSTS if pattern.match(path)), 1)
    query = path.partition("?")[2]
    cost += ("$expand=" in query) - ("$select=" in query)
    return max(1, cost)


class Ledger(Protocol):
    """Where units are counted, shared by every process that scans with the same app."""

    def take(self, key: str, slot: int, units: int, cap: int) -> bool:
        """Add ``units`` to ``key``'s count in ``slot`` if that keeps it at most ``cap``; whether it did."""
        ...


class MemoryLedger:
    """A ledger in this process only (the CLI, tests; one process is then the whole fleet)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[tuple[str, int], int] = {}
        self._latest: dict[str, int] = {}

    def take(self, key: str, slot: int, units: int, cap: int) -> bool:
        with self._lock:
            used = self._used.get((key, slot), 0)
            if used + units > cap:
                return False
            if len(self._used) > 10_000:  # slots of each key long past (keys count slots of their own length)
                self._used = {k: v for k, v in self._used.items() if k[1] >= self._latest[k[0]] - 2 * _SLOTS}
            self._latest[key] = max(slot, self._latest.get(key, slot))
            self._used[(key, slot)] = used + units
            return True


@dataclass
class _Lease:
    slot: int
    left: int
    slot_s: float


class RequestBudget:
    """The units every request of every scan in this process takes, against ``limits`` in ``ledger``.

    Thread-safe (worker threads each run a scan on an event loop of their own).
    """

    def __init__(self, ledger: Ledger | None = None, limits: Sequence[Limit] = DEFAULT_LIMITS,
                 clock: Callable[[], float] = time.time) -> None:
        self._ledger = ledger if ledger is not None else MemoryLedger()
        self._limits = tuple(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._leases: dict[str, _Lease] = {}
        self._sizes: dict[str, int] = {}

    def note_tenant_size(self, tenant_id: str, users: int) -> None:
        """The tenant's user count, which sets its limits by size from now on (in this process)."""
        with self._lock:
            if len(self._sizes) > 100_000:
                self._sizes.clear()
            self._sizes[tenant_id.lower()] = users

    async def spend(self, service: str, tenant_id: str, paths: Sequence[str]) -> None:
        """Take the units of one attempt (one request, or one ``$batch`` of ``paths``) from every limit of
        ``service``, waiting for a later slot where one is spent.

        The units must be taken from every limit within one slot of each: after any wait, all of them are
        taken again (those taken before the wait stay spent, unused: erring on the side of the limits). A
        request let go late against units counted early would put two slots' worth in one window.
        """
        wanted = []
        resource_units = None  # computed once, for every limit that counts them
        for limit in self._limits:
            if limit.service != service:
                continue
            if limit.measure == "resource_units":
                if resource_units is None:
                    resource_units = sum(graph_units(p) for p in paths)
                units = resource_units
            else:
                units = len(paths)
            key, cap = f"{service}:{limit.measure}:{limit.name}", limit.per_slot()
            if limit.name == "tenant":
                key += f":{tenant_id.lower()}"
                cap = limit.per_slot(self._sizes.get(tenant_id.lower()))
            if units > cap:
                raise ValueError(f"one request of {units} units can never fit {limit.units} per {limit.window_s:g} s")
            wanted.append((key, limit.slot_s, cap, units))
        # The per-tenant limits first: they refuse most, and units taken before a refusal are lost.
        wanted.sort(key=lambda want: ":tenant:" not in want[0])
        while True:
            refused = next((want for want in wanted if not self._take(*want)), None)
            if refused is None:
                return
            now, slot_s = self._clock(), refused[1]
            await asyncio.sleep(max(0.001, (math.floor(now / slot_s) + 1) * slot_s - now))

    def _take(self, key: str, slot_s: float, cap: int, units: int) -> bool:
        now = self._clock()
        slot = math.floor(now / slot_s)
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.slot == slot and lease.left >= units:
                lease.left -= units
                return True
        # The ledger is asked outside the lock: another thread's lease of another key need not wait for
        # this round trip. Two threads leasing the same key at once both get units, which the ledger counts.
        for asked in dict.fromkeys((max(units, min(LEASE, cap // 4)), units)):
            if self._ledger.take(key, slot, asked, cap):
                break
        else:
            return False
        with self._lock:
            lease = self._leases.get(key)
            if lease is None or lease.slot != slot:
                if len(self._leases) > 10_000:  # tenants scanned long ago
                    self._leases = {k: v for k, v in self._leases.items() if (v.slot + 1) * v.slot_s >= now}
                lease = self._leases[key] = _Lease(slot, 0, slot_s)
            lease.left += asked - units
            return True
