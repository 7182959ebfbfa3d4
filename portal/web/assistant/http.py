"""``/mcp``: the tools over the streamable HTTP transport, mounted on the portal's app.

Decisions:
- Bearer tokens only, checked before the MCP layer sees the request (401 with ``WWW-Authenticate``,
  as ``/api/v1`` answers); a browser session is not accepted, so a page can never drive the tools
  with someone's cookie. Each tool call checks the token again (it may expire mid-conversation).
- Stateless, JSON responses: every request stands alone, so any of ``posture serve``'s processes
  answers it and nothing is kept in memory between calls (no session to lose or to pin).
- The SDK's DNS-rebinding guard (Host and Origin allow-lists) is off: it protects servers that trust
  the network a browser is on, and this one trusts only the bearer token, which a browser never sends
  on its own. The portal's address varies by deployment, so a fixed allow-list would only break it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from litestar import Litestar, asgi
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send
from mcp.server.mcpserver import Context
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from portal.services.accounts import token_caller
from portal.web.assistant import assistant_server
from portal.web.runtime import WebRuntime

__all__ = ["MAX_BODY", "PATH", "mcp_endpoint"]

PATH = "/mcp"
#: Largest request body: a tool call's arguments are a few hundred bytes; this bounds what is read.
MAX_BODY = 256 * 1024
_CHALLENGE = b'Bearer realm="posture"'


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _token_of(ctx: Context) -> str | None:
    request = ctx.request_context.request
    return _bearer(request.headers.get("authorization")) if request is not None else None


async def _refuse(send: Send, message: str, status: int = 401) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + ([(b"www-authenticate", _CHALLENGE)] if status == 401 else [])})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == name), None)


def _body_refusal(scope: Scope) -> tuple[int, str] | None:
    """Why a POST's body is not read: the SDK reads it whole, so its size is bounded here, before it."""
    if scope.get("method") != "POST":
        return None
    length = _header(scope, b"content-length")
    if length is None or not length.isdigit():
        return 411, "send the request with a Content-Length"
    if int(length) > MAX_BODY:
        return 413, f"a request body is at most {MAX_BODY} bytes"
    return None


def mcp_endpoint(web: WebRuntime) -> tuple[ASGIRouteHandler, Callable[[Litestar], AbstractAsyncContextManager[None]]]:
    """The route handler for ``/mcp`` and the lifespan hook that runs its session manager."""
    server = assistant_server(web, _token_of, endpoint=PATH)
    running: list[StreamableHTTPSessionManager] = []  # the manager of the app's current lifespan

    @asgi(PATH, is_mount=True, copy_scope=True, include_in_schema=False)
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        token = _bearer(_header(scope, b"authorization"))
        if token is None:
            await _refuse(send, "send a personal API token as 'Authorization: Bearer'")
            return
        if await anyio.to_thread.run_sync(token_caller, web.engine, token) is None:
            await _refuse(send, "this API token is unknown, expired or revoked")
            return
        refused = _body_refusal(scope)
        if refused is not None:
            await _refuse(send, refused[1], refused[0])
            return
        if not running:  # served without the app's lifespan (a misconfigured ASGI server)
            await _refuse(send, "the assistant's endpoint is not running", 503)
            return
        await running[-1].handle_request(scope, receive, send)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        # A session manager runs once: each start of the app (a test client's, too) makes a new one.
        server.streamable_http_app(streamable_http_path="/", stateless_http=True, json_response=True,
                                   transport_security=TransportSecuritySettings(
                                       enable_dns_rebinding_protection=False))
        manager = server.session_manager
        running.append(manager)
        try:
            async with manager.run():
                yield
        finally:
            running.remove(manager)

    return endpoint, lifespan
