"""The simulator's ASGI application: one app serving identity, Graph, Exchange and the control API.

Layout of URLs (``base`` = ``https://127.0.0.1:<port>``): identity at the root (``/{tenant}/...``),
Graph under ``/graph`` (``/graph/v1.0/...``), Exchange under ``/exchange``
(``/exchange/adminapi/beta/{tenant}/InvokeCommand``), control under ``/_sim``.

Decisions, and why:
- Graph and Exchange are served by a small raw ASGI function, not by Litestar routes: fault
  injection must be able to break a response halfway (headers announcing more bytes than are sent,
  then the connection closes), and paging a 10,000-user tenant should not pay for a framework's
  per-request machinery. Their handlers return a ``Reply`` that this module puts on the wire.
- Identity and control, which need forms, HTML, redirects and validation, are Litestar handlers.
  Identity requests pass through a thin wrapper that counts them and, when the fault config says
  ``include_identity``, delays or fails them.
- JSON is encoded with msgspec (already a Litestar dependency): a 999-user page encodes in about a
  millisecond.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Litestar
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sim.control import ControlController
from sim.exchange import handle_exchange
from sim.graph import Reply, handle_graph
from sim.identity import IDENTITY_HANDLERS, aad_error_body
from sim.state import SimState

__all__ = ["create_app"]

_ENCODER = msgspec.json.Encoder()


def create_app(state: SimState) -> ASGIApp:
    """The ASGI app serving ``state``."""
    inner = Litestar(route_handlers=[*IDENTITY_HANDLERS, ControlController], state=State({"sim": state}),
                     openapi_config=None, logging_config=None)
    # logging_config=None: the simulator runs inside other programs (the CLI, tests, the demo) and must
    # not reconfigure their root logger.

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(("/graph/", "/exchange/")):
            await _serve_service(state, scope, receive, send)
        elif path.startswith("/_sim/"):
            await inner(scope, receive, send)
        else:
            await _serve_identity(state, inner, scope, receive, send)

    return app


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host")
    if not host:
        server_host, port = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server_host}:{port}"
    return f"{scope.get('scheme', 'http')}://{host}"


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_reply(reply: Reply, send: Send) -> None:
    body = b"" if reply.body is None else _ENCODER.encode(reply.body)
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items() if k != "content-length"]
    if reply.drop:
        # Announce more than will come, send part of it, and return without finishing: the server
        # closes the connection and the client sees the body cut short.
        headers.append((b"content-length", str(len(body) + 4096).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        return
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _serve_service(state: SimState, scope: Scope, receive: Receive, send: Send) -> None:
    headers = _headers(scope)
    body = await _read_body(receive)
    base = _base_url(scope, headers)
    query = scope.get("query_string", b"").decode("latin-1")
    path: str = scope["path"]
    if path.startswith("/graph/"):
        reply, _ = handle_graph(state, scope["method"], path[len("/graph"):], query, headers, body, base + "/graph")
    else:
        reply = handle_exchange(state, scope["method"], path[len("/exchange"):], query, headers, body,
                                base + "/exchange")
    latency_ms = state.faults.latency_ms
    if latency_ms > 0:
        await asyncio.sleep(latency_ms / 1000)
    await _send_reply(reply, send)


async def _serve_identity(state: SimState, inner: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    segment = scope["path"].strip("/").split("/")[0]
    tenant = state.find_tenant(segment) if segment else None
    tenant_id = tenant.id.lower() if tenant else "-"
    config = state.faults
    status = {"code": 0}
    if config.include_identity:
        if config.latency_ms > 0:
            await asyncio.sleep(config.latency_ms / 1000)
        fault = state.injector.draw(tenant_id, "identity", use_budget=False)
        if fault is not None:
            await _read_body(receive)
            reply = _identity_fault(_base_url(scope, _headers(scope)), fault.kind, fault.retry_after_s, tenant_id)
            state.log.count(tenant_id, "identity")
            state.log.count(tenant_id, f"fault_{reply.fault}")
            state.log.line(scope["method"], scope["path"], 0 if reply.drop else reply.status, tenant_id, "identity")
            await _send_reply(reply, send)
            return

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
        await send(message)

    try:
        await inner(scope, receive, capture)
    finally:
        state.log.count(tenant_id, "identity")
        state.log.line(scope["method"], scope["path"], status["code"], tenant_id, "identity")


def _identity_fault(base: str, kind: str, retry_after_s: int | None, tenant_id: str) -> Reply:
    headers = {"content-type": "application/json; charset=utf-8"}
    if retry_after_s is not None:
        headers["retry-after"] = str(retry_after_s)
    if kind == "drop":
        return Reply(200, {}, headers, tenant_id=tenant_id, fault="drop", drop=True)
    status = 429 if kind == "429" else 503
    body: Any = aad_error_body(base, "temporarily_unavailable", 90033,
                               "A transient error has occurred. Please try again.")
    return Reply(status, body, headers, tenant_id=tenant_id, fault="429" if status == 429 else "503")
