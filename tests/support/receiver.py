"""A real HTTP server on loopback standing in for an alert webhook's receiver (the ``receiver`` fixture).

It answers the codes it is given in turn (then 200) and keeps every request, headers and body, so a
test checks what was sent, how often, and with which signature. Its path is its own (a random one):
the tests share one database, where another test's delivery may still be due, aimed at a port the
system has since given to this receiver; such a request gets a 404 and is not kept.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

__all__ = ["Receiver", "receiver"]


@dataclass
class Receiver:
    codes: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0
    path: str = field(default_factory=lambda: f"/hooks/{uuid.uuid4().hex}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != state.path:  # another test's delivery, to a port that is now this receiver's
                self.send_response(404)
                self.end_headers()
                return
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            code = state.codes.pop(0) if state.codes else 200
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"try later")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
