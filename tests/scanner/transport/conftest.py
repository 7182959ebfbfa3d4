"""Fakes for the transport tests: a Graph that pages and batches, a token source, an Exchange admin API.

The fakes behave like the services at the HTTP level (``httpx.MockTransport`` handlers), so the
clients' whole middleware stack runs; nothing is patched.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from scanner._errors import ScannerError

GRAPH = "https://graph.test"
EXCHANGE = "https://exchange.test"
TENANT = "11111111-2222-3333-4444-555555555555"

Reply = tuple[int, dict[str, str], Any]


class FakeTokens:
    """A token source: ``token-N``, where N goes up on every forced refresh."""

    def __init__(self, error: ScannerError | None = None) -> None:
        self.calls: list[tuple[str, str, bool]] = []
        self.generation = 1
        self.error = error

    @property
    def forced(self) -> int:
        return sum(1 for call in self.calls if call[2])

    async def token(self, tenant_id: str, resource_url: str, *, stats: Any = None, force_refresh: bool = False) -> str:
        self.calls.append((tenant_id, resource_url, force_refresh))
        if self.error is not None:
            raise self.error
        if force_refresh:
            self.generation += 1
        return f"token-{self.generation}"


def graph_error(status: int, code: str, message: str = "", headers: dict[str, str] | None = None) -> Reply:
    return status, headers or {}, {"error": {"code": code, "message": message or code}}


class FakeGraph:
    """Graph v1.0 and ``$batch`` over canned routes.

    Routes are keyed by the path relative to ``/v1.0`` with its query, as sent (percent-encoded).
    ``faults[path]`` replies are served, in order, before the route's own reply; ``batch_faults``
    replace whole ``$batch`` responses; ``drop`` makes the next N wire requests fail with a dropped
    connection. ``accept`` decides which bearer tokens are valid.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[], Reply]] = {}
        self.faults: dict[str, list[Reply]] = defaultdict(list)
        self.batch_faults: list[Reply] = []
        self.drop = 0
        self.accept: Callable[[str, str], bool] = lambda token, path: True
        self.wire: list[httpx.Request] = []
        self.served: list[str] = []  # every (sub-)request path, in order

    # -- set-up -------------------------------------------------------------------------------
    def collection(self, path: str, pages: list[list[dict[str, Any]]], *, host: str = GRAPH) -> None:
        sep = "&" if "?" in path else "?"
        for n, items in enumerate(pages):
            here = path if n == 0 else f"{path}{sep}$skiptoken=p{n}"
            body: dict[str, Any] = {"@odata.context": f"{GRAPH}/v1.0/$metadata#x", "value": items}
            if n + 1 < len(pages):
                body["@odata.nextLink"] = f"{host}/v1.0{path}{sep}$skiptoken=p{n + 1}"
            self.routes[here] = lambda body=body: (200, {}, body)

    def entity(self, path: str, body: dict[str, Any]) -> None:
        full = {"@odata.context": f"{GRAPH}/v1.0/$metadata#x/$entity", **body}
        self.routes[path] = lambda: (200, {}, full)

    # -- the service --------------------------------------------------------------------------
    def batches(self) -> list[list[str]]:
        """The sub-request urls of every $batch sent."""
        return [[r["url"] for r in json.loads(req.content)["requests"]] for req in self.wire
                if req.url.path.endswith("/$batch")]

    def kinds(self) -> list[str]:
        return ["batch" if req.url.path.endswith("/$batch") else "get" for req in self.wire]

    def serve(self, path: str, token: str) -> Reply:
        self.served.append(path)
        if not self.accept(token, path):
            return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if self.faults[path]:
            return self.faults[path].pop(0)
        route = self.routes.get(path)
        if route is None:
            return graph_error(404, "Request_ResourceNotFound", f"Resource '{path}' does not exist.")
        return route()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.wire.append(request)
        if self.drop:
            self.drop -= 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        raw = request.url.raw_path.decode()
        assert raw.startswith("/v1.0/"), raw
        if raw == "/v1.0/$batch":
            if self.batch_faults:
                return _response(self.batch_faults.pop(0))
            if not self.accept(token, "$batch"):
                return _response(graph_error(401, "InvalidAuthenticationToken"))
            subs = json.loads(request.content)["requests"]
            assert 1 < len(subs) <= 20
            out = []
            for sub in subs:
                status, headers, body = self.serve(sub["url"], token)
                if isinstance(body, bytes):  # Graph base64-encodes bodies that are not JSON
                    body = base64.b64encode(body).decode()
                out.append({"id": sub["id"], "status": status, "headers": headers, "body": body})
            # json.dumps, not httpx's json=: a broken service may inline NaN, which httpx refuses to write.
            return httpx.Response(200, content=json.dumps({"responses": out}).encode(),
                                  headers={"content-type": "application/json"})
        return _response(self.serve(raw[len("/v1.0"):], token))


def _response(reply: Reply) -> httpx.Response:
    status, headers, body = reply
    if isinstance(body, bytes):
        return httpx.Response(status, headers=headers, content=body)
    return httpx.Response(status, headers=headers, json=body)


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()
