"""Helpers for Exchange check tests: cmdlet output from tests/fixtures/exchange, as the admin API returns it,
and the public DNS of the mail checks, published by the simulator and read over real DNS."""

from __future__ import annotations

import asyncio
import atexit
import copy
import functools
import json
from pathlib import Path
from typing import Any

from scanner._dns import DnsResolver, parse_resolver
from scanner.collections import COLLECTIONS, DnsCollection, accepted_domain_names
from sim import ServiceApp, SimState
from sim.dns import SimDnsServer
from sim.tenant import Tenant

EXCHANGE_FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "exchange"


def exchange_body(cmdlet: str) -> dict[str, Any]:
    """A fresh copy of the InvokeCommand response body in ``tests/fixtures/exchange/<cmdlet>.json``."""
    return copy.deepcopy(json.loads((EXCHANGE_FIXTURES / f"{cmdlet}.json").read_text()))


def exchange_value(cmdlet: str) -> list[dict[str, Any]]:
    """The cmdlet's objects (the response's ``value`` list): what the scanner hands a check."""
    return exchange_body(cmdlet)["value"]


def by_identity(objects: list[dict[str, Any]], identity: str) -> dict[str, Any]:
    """The object whose ``Identity`` is ``identity``, to change one field of it in a test."""
    return next(o for o in objects if o["Identity"] == identity)


DNS_FIXTURES = EXCHANGE_FIXTURES.parent / "dns"


def published_records(name: str = "contoso") -> dict[str, list[str] | None]:
    """A fresh copy of the TXT records in ``tests/fixtures/dns/<name>.json`` (name -> records)."""
    return copy.deepcopy(json.loads((DNS_FIXTURES / f"{name}.json").read_text())["records"])


class PublicDns:
    """Real DNS for check tests: the simulator's DNS server on loopback, publishing ``records``, read by
    the scanner's resolver, shaped as the collector shapes a DNS collection."""

    def __init__(self) -> None:
        self.tenant = Tenant(id="dns-tests", display_name="DNS", default_domain="contoso.com", profile="test")
        state = SimState(app=ServiceApp(client_id="dns-tests"))
        state.add_tenant(self.tenant)
        self.server = SimDnsServer(state).start()

    def lookups(self, collection: str, records: dict[str, list[str] | None],
                accepted: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """The ``collection`` (``dns_spf``, ``dns_dkim``, ``dns_dmarc``) for these accepted domains."""
        self.tenant.dns = records
        spec = COLLECTIONS[collection]
        assert isinstance(spec, DnsCollection)
        names = {domain: spec.names(domain) for domain in accepted_domain_names(accepted)}
        resolver = DnsResolver(parse_resolver(self.server.address), timeout_s=2)
        found = asyncio.run(resolver.txt_many(n for listed in names.values() for n in listed))
        return {domain: [found[n] for n in listed] for domain, listed in names.items()}


@functools.cache
def _public_dns() -> PublicDns:
    dns = PublicDns()
    atexit.register(dns.server.stop)
    return dns


def dns_lookups(collection: str, records: dict[str, list[str] | None],
                accepted: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``collection`` for ``accepted`` domains with ``records`` published, read over real DNS (one
    simulator DNS server per test process, started on first use)."""
    return _public_dns().lookups(collection, records, accepted)
