"""One event loop and one connection pool for the scans a thread runs one after another.

A worker thread scans tenant after tenant, and every one of them is read from the same two hosts
(Graph and Exchange). With ``asyncio.run`` per scan, each scan opened its own TLS connections (about
ten: the per-tenant concurrency, the $batch chains, Exchange) and closed them at its end, so a fleet
of 1,000 tenants paid 10,000 TLS handshakes, in CPU on both ends and in round trips to Microsoft.
A :class:`ScanLoop` keeps the thread's loop and its pool (``scanner._http.connection_pool``) between
scans; what a scan leaves behind is only idle connections, which httpx drops after 5 s unused.

Nothing of one tenant reaches the next through the pool: each scan still builds its own clients,
with its own tokens, cookies, budgets and counters; the pool holds sockets to the APIs' hosts.
Tasks a scan leaves running are cancelled when it ends, as ``asyncio.run`` would, so they never run
inside the next scan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from scanner._http import connection_pool

__all__ = ["ScanLoop"]

T = TypeVar("T")


class ScanLoop:
    """A thread's event loop and connection pool, reused by every scan it runs (not thread-safe:
    one per thread).

    Args:
        ca_bundle: extra CA certificates the pool trusts (as ``scan_tenant``'s ``ca_bundle``).
    """

    def __init__(self, ca_bundle: str | None = None) -> None:
        self.ca_bundle = ca_bundle
        self._runner = asyncio.Runner()
        self._pool: httpx.AsyncHTTPTransport | None = None

    def run(self, scan: Callable[[httpx.AsyncBaseTransport], Coroutine[Any, Any, T]]) -> T:
        """Run ``scan(pool)`` to its end on this loop; tasks it leaves behind are cancelled."""
        return self._runner.run(self._settled(scan))

    async def _settled(self, scan: Callable[[httpx.AsyncBaseTransport], Coroutine[Any, Any, T]]) -> T:
        if self._pool is None:
            self._pool = connection_pool(self.ca_bundle)
        try:
            return await scan(self._pool)
        finally:
            current = asyncio.current_task()
            stray = [task for task in asyncio.all_tasks() if task is not current]
            for task in stray:
                task.cancel()
            await asyncio.gather(*stray, return_exceptions=True)

    def close(self) -> None:
        """Close the pool's connections and the loop."""
        if self._pool is not None:
            self._runner.run(self._pool.aclose())
            self._pool = None
        self._runner.close()

    def __enter__(self) -> ScanLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
