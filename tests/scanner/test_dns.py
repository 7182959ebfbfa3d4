"""The scanner's DNS client: the resolver setting, and what each kind of answer becomes."""

from __future__ import annotations

import asyncio

import pytest

from scanner._dns import DnsResolver, parse_resolver
from sim import ServiceApp, SimState
from sim.dns import SimDnsServer
from sim.tenant import Tenant


@pytest.mark.parametrize(("value", "servers"), [
    (None, None), ("", None), ("  ", None),
    ("none", []), ("NONE", []),
    ("10.0.0.53", [("10.0.0.53", 53)]),
    ("127.0.0.1:5353, 10.0.0.53", [("127.0.0.1", 5353), ("10.0.0.53", 53)]),
    ("[::1]:5353", [("::1", 5353)]), ("[::1]", [("::1", 53)]), ("::1", [("::1", 53)]),
])
def test_the_resolver_setting_is_parsed(value, servers) -> None:
    assert parse_resolver(value) == servers


@pytest.mark.parametrize("value", ["127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:dns", "[::1]:x"])
def test_a_bad_port_is_refused(value) -> None:
    with pytest.raises(ValueError, match="port"):
        parse_resolver(value)


def test_each_answer_becomes_records_or_a_named_error() -> None:
    state = SimState(app=ServiceApp(client_id="dns"))
    state.add_tenant(Tenant(id="t", display_name="T", default_domain="t.onmicrosoft.com", profile="test",
                            dns={"t.com": ["v=spf1 -all"], "x.t.com": [], "_dmarc.t.com": None}))
    with SimDnsServer(state) as server:
        found = asyncio.run(DnsResolver(parse_resolver(server.address), timeout_s=2).txt_many(
            ["t.com", "x.t.com", "nope.t.com", "_dmarc.t.com", "t.com"]))
    assert {name: (r["records"], r["error"]) for name, r in found.items()} == {
        "t.com": (["v=spf1 -all"], None),
        "x.t.com": ([], "no_answer"),
        "nope.t.com": ([], "nxdomain"),
        "_dmarc.t.com": ([], "unreachable"),
    }


def test_turned_off_every_lookup_is_unreachable_and_nothing_is_sent() -> None:
    found = asyncio.run(DnsResolver([]).txt("contoso.com"))
    assert (found["error"], found["records"]) == ("unreachable", [])
    assert "POSTURE_DNS_RESOLVER=none" in found["detail"]


def test_without_a_system_resolver_lookups_are_unreachable_not_a_crash() -> None:
    # The test suite removes the host's resolvers (tests/conftest.py): nothing leaves loopback.
    found = asyncio.run(DnsResolver(None).txt("contoso.com"))
    assert found["error"] == "unreachable" and "POSTURE_DNS_RESOLVER" in found["detail"]


@pytest.mark.parametrize("name", ["a..contoso.com", "selector1._domainkey." + "x" * 64 + ".com",
                                  "selector1._domainkey." + ".".join(["abcdefghij"] * 24) + ".com"])
def test_a_name_dns_cannot_carry_is_unreachable_not_a_crash(name) -> None:
    found = asyncio.run(DnsResolver([("127.0.0.1", 9)], timeout_s=0.5).txt(name))
    assert (found["error"], found["records"]) == ("unreachable", [])
