"""``SimDnsServer``: the public DNS of the simulated tenants' domains, on a loopback UDP port.

The scanner's mail-authentication checks (SPF, DKIM keys, DMARC) resolve TXT records through the
resolver ``POSTURE_DNS_RESOLVER`` names; pointed here, they read what each profile publishes
(``Tenant.dns``) through a real DNS exchange, as they would read a customer's domains on the Internet.

Decisions, and why:
- It answers as a recursive resolver would (recursion available, authoritative answers): NXDOMAIN for a
  name that does not exist, an empty NOERROR answer for a name that exists without TXT records, and
  SERVFAIL for a name a test marks as failing (``None`` records).
- TXT strings longer than 255 bytes are split into several character-strings, as DNS requires and as
  long DKIM keys are published; the client joins them.
- An answer larger than the query's EDNS payload (512 bytes without EDNS) is sent truncated (TC set).
  The profiles' records fit, so no TCP listener is needed.
- Only loopback is bound, and only TXT is served: other types get an empty answer.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from sim.state import SimState

__all__ = ["SimDnsServer"]


class SimDnsServer:
    """Serves ``state``'s DNS on ``host:port`` (port 0: the OS picks) until ``stop``."""

    def __init__(self, state: SimState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self._requested_port = port
        self.port = 0
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> str:
        """What ``POSTURE_DNS_RESOLVER`` should be."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def start(self) -> SimDnsServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((self.host, self._requested_port))
        sock.settimeout(0.2)  # so stop() is noticed
        self._socket = sock
        self.port = sock.getsockname()[1]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name=f"posture-sim-dns-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._socket is not None:
            self._socket.close()
        self._socket = self._thread = None

    def __enter__(self) -> SimDnsServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stopping.is_set():
            try:
                wire, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.answer(wire)
            if reply is not None:
                self._socket.sendto(reply, peer)

    def answer(self, wire: bytes) -> bytes | None:
        """The response to one query in wire format (None: not a query worth answering)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # garbage: a real resolver drops it too
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        exists, records = self.state.dns_lookup(question.name.to_text())
        if records is None:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif not exists:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT and records:
            texts = [" ".join(_quoted(r)) for r in records]
            response.answer.append(dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN,
                                                            dns.rdatatype.TXT, texts))
        limit = max(query.payload, 512) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.RA | dns.flags.TC
            return truncated.to_wire()


def _quoted(record: str) -> list[str]:
    """One TXT record as quoted character-strings of at most 255 bytes."""
    data = record.encode()
    chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
    return ['"' + c.decode().replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks]
