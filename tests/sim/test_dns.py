"""The simulator's DNS server, asked over real UDP by dnspython as any resolver client would ask it."""

from __future__ import annotations

from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from sim import ServiceApp, SimState
from sim.dns import SimDnsServer
from sim.tenant import Tenant


@pytest.fixture
def tenant() -> Tenant:
    return Tenant(id="dns-1", display_name="Contoso", default_domain="contoso.onmicrosoft.com", profile="test",
                  dns={"contoso.com": ["v=spf1 -all", "MS=ms1234"], "_dmarc.broken.com": None,
                       "selector1._domainkey.contoso.com": ["v=DKIM1; k=rsa; p=" + "A" * 600]})


@pytest.fixture
def server(tenant: Tenant) -> Iterator[SimDnsServer]:
    state = SimState(app=ServiceApp(client_id="dns"))
    state.add_tenant(tenant)
    with SimDnsServer(state) as running:
        yield running


def _ask(server: SimDnsServer, name: str, rdtype: str = "TXT", payload: int | None = 1232) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=payload is not None, payload=payload or 512)
    return dns.query.udp(query, server.host, port=server.port, timeout=2, ignore_trailing=True)


def test_txt_records_are_answered(server: SimDnsServer) -> None:
    reply = _ask(server, "CONTOSO.com.")  # names are case-insensitive
    assert reply.rcode() == dns.rcode.NOERROR and reply.flags & dns.flags.RA
    texts = sorted(b"".join(r.strings).decode() for r in reply.answer[0])
    assert texts == ["MS=ms1234", "v=spf1 -all"]


def test_a_long_record_is_split_into_strings_of_at_most_255_bytes(server: SimDnsServer) -> None:
    (record,) = _ask(server, "selector1._domainkey.contoso.com").answer[0]
    assert [len(s) for s in record.strings] == [255, 255, 108]
    assert b"".join(record.strings).decode().endswith("A" * 100)


def test_unknown_names_do_not_exist_and_parents_of_known_names_do(server: SimDnsServer) -> None:
    assert _ask(server, "_dmarc.contoso.com").rcode() == dns.rcode.NXDOMAIN
    parent = _ask(server, "_domainkey.contoso.com")  # exists: a name below it is published
    assert (parent.rcode(), parent.answer) == (dns.rcode.NOERROR, [])


def test_a_name_marked_failing_answers_servfail(server: SimDnsServer) -> None:
    assert _ask(server, "_dmarc.broken.com").rcode() == dns.rcode.SERVFAIL


def test_other_types_get_an_empty_answer(server: SimDnsServer) -> None:
    reply = _ask(server, "contoso.com", "MX")
    assert (reply.rcode(), reply.answer) == (dns.rcode.NOERROR, [])


def test_an_answer_too_big_for_the_query_is_truncated(server: SimDnsServer) -> None:
    reply = _ask(server, "selector1._domainkey.contoso.com", payload=None)  # no EDNS: 512 bytes at most
    assert reply.flags & dns.flags.TC and reply.answer == []


def test_records_changed_after_start_are_served(server: SimDnsServer, tenant: Tenant) -> None:
    tenant.dns["_dmarc.contoso.com"] = ["v=DMARC1; p=reject;"]
    assert _ask(server, "_dmarc.contoso.com").answer


def test_garbage_is_dropped_and_the_server_keeps_answering(server: SimDnsServer) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"\x00\x01not dns", (server.host, server.port))
    assert _ask(server, "contoso.com").rcode() == dns.rcode.NOERROR
