"""The real network stack over loopback HTTPS: MSAL and the Graph client trust exactly the CA given.

A tiny identity service and Graph run on 127.0.0.1 with a certificate from a throwaway CA (trustme).
The environment points the usual CA variables at a file that does not exist: if anything read them,
these tests would fail.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from scanner._auth import AppCredentials, Endpoints, TokenProvider
from scanner._errors import AuthError, ServiceError
from scanner._transport import GraphClient, RequestStats

TENANT = "tenant-1"


class _Handler(BaseHTTPRequestHandler):
    def _reply(self, body: dict[str, object], status: int = 200) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        base = f"https://localhost:{self.server.server_address[1]}/{TENANT}"
        if self.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            self._reply({"token_endpoint": f"{base}/oauth2/v2.0/token", "issuer": f"{base}/v2.0",
                         "authorization_endpoint": f"{base}/oauth2/v2.0/authorize"})
        elif self.path == "/v1.0/organization" and self.headers["Authorization"] == "Bearer loopback-token":
            self._reply({"value": [{"id": TENANT}]})
        else:
            self._reply({"error": {"code": "NotFound", "message": self.path}}, 404)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._reply({"access_token": "loopback-token", "expires_in": 3600, "token_type": "Bearer"})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(ca: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(tmp_path / "missing.pem"))
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _provider(server: str, ca_bundle: str | None) -> TokenProvider:
    return TokenProvider(AppCredentials("client-id", client_secret="s"),
                         Endpoints(authority_host=server, graph_url=server), ca_bundle=ca_bundle)


async def test_msal_and_graph_trust_the_extra_ca(server: str, ca_file: str):
    tokens = _provider(server, ca_file)
    stats = RequestStats()
    async with GraphClient(TENANT, tokens, server, stats=stats, ca_bundle=ca_file) as graph:
        assert await graph.get_all("/organization") == [{"id": TENANT}]
    assert stats.requests == 3  # discovery, token, Graph
    tokens.close()


async def test_without_the_ca_nothing_is_trusted(server: str, ca_file: str):
    with pytest.raises(AuthError) as caught:
        await _provider(server, None).token(TENANT, server)
    assert caught.value.reason == "auth_error:tls"

    class StaticTokens:
        async def token(self, *args: object, **kwargs: object) -> str:
            return "loopback-token"

    async with GraphClient(TENANT, StaticTokens(), server, max_retries=0) as graph:
        with pytest.raises(ServiceError) as failed:
            await graph.get_all("/organization")
    assert failed.value.reason == "service_error:network"
