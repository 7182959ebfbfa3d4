"""Public DNS lookups (TXT records) for the mail-authentication checks: SPF, DKIM keys, DMARC.

DNS is not Microsoft's API: it needs no token and no permission, and it answers the same for anyone,
so it is read through a resolver the operator chooses (``POSTURE_DNS_RESOLVER``; default: the host's
own, from ``/etc/resolv.conf``).

Decisions, and why:
- Each lookup is reported, never raised: ``records`` (one string per TXT record, its character-strings
  joined without a space, as RFC 7208 and ScubaGear join them) and ``error``. ``nxdomain`` and
  ``no_answer`` are facts about the domain (it publishes nothing there); ``unreachable`` (timeout,
  SERVFAIL, no resolver) is not, and the checks turn it into ``error``, never into a verdict.
- EDNS with a 1,232-byte payload (the DNS flag day's size), so a DKIM key fits one UDP answer; a
  truncated answer is retried over TCP by dnspython.
- No search domains: the names are absolute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

__all__ = ["DnsResolver", "parse_resolver"]

_EDNS_PAYLOAD = 1232

#: The setting that turns lookups off: every lookup is ``unreachable`` (the DNS checks say ``error``).
DISABLED = "none"


def parse_resolver(value: str | None) -> list[tuple[str, int]] | None:
    """``"host[:port], ..."`` (IPv6 as ``[addr]:port``) to ``[(host, port)]``; empty or None: None (the
    host's resolvers); ``"none"``: ``[]`` (no lookups at all).

    Raises:
        ValueError: a port that is not a number from 1 to 65535.
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.lower() == DISABLED:
        return []
    servers = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        host, port = item, "53"
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest.lstrip(":") or "53"
        elif item.count(":") == 1:
            host, port = item.split(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"invalid DNS resolver port in {item!r}")
        servers.append((host, int(port)))
    return servers


def _system_resolver() -> dns.asyncresolver.Resolver:
    """The host's resolvers, from ``/etc/resolv.conf`` (the test suite replaces this: no lookup ever
    leaves loopback there)."""
    return dns.asyncresolver.Resolver()


class DnsResolver:
    """TXT lookups through the given servers (``[(host, port)]``); None: the host's resolvers; ``[]``:
    none (every lookup is ``unreachable``)."""

    def __init__(self, servers: Iterable[tuple[str, int]] | None = None, *, timeout_s: float = 5.0,
                 max_concurrency: int = 8) -> None:
        self._error: str | None = None
        if servers is None:
            try:
                resolver = _system_resolver()
            except dns.resolver.NoResolverConfiguration:
                resolver = dns.asyncresolver.Resolver(configure=False)
                self._error = "no DNS resolver configured (set POSTURE_DNS_RESOLVER)"
        else:
            servers = list(servers)
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in servers]
            if not servers:
                self._error = "DNS lookups are turned off (POSTURE_DNS_RESOLVER=none)"
        resolver.use_edns(0, 0, _EDNS_PAYLOAD)
        resolver.lifetime = timeout_s
        self._resolver = resolver
        self._limit = asyncio.Semaphore(max_concurrency)

    async def txt(self, name: str) -> dict[str, Any]:
        """``{"name", "records", "error"}`` for the TXT records at ``name``."""
        if self._error is not None:
            return {"name": name, "records": [], "error": "unreachable", "detail": self._error}
        try:
            async with self._limit:
                answer = await self._resolver.resolve(name, "TXT", search=False, raise_on_no_answer=True)
        except dns.resolver.NXDOMAIN:
            return {"name": name, "records": [], "error": "nxdomain"}
        except dns.resolver.NoAnswer:
            return {"name": name, "records": [], "error": "no_answer"}
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            # Timeouts, SERVFAIL, no nameserver, and names DNS cannot carry (an empty label, over 253
            # characters, bad IDNA): not a fact about the domain, so the checks say error.
            return {"name": name, "records": [], "error": "unreachable", "detail": f"{type(exc).__name__}: {exc}"[:200]}
        records = [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
        return {"name": name, "records": records, "error": None}

    async def txt_many(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Each distinct name's lookup, concurrently."""
        unique = list(dict.fromkeys(names))
        found = await asyncio.gather(*(self.txt(n) for n in unique))
        return dict(zip(unique, found, strict=True))
