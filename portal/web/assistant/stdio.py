"""``posture mcp``: the tools over stdio, for a desktop assistant that starts the command itself.

The token comes from the environment (``POSTURE_TOKEN``), never from the command line, where any
user of the machine could read it in the process list. It is checked before the server starts and
again at every call. stdout carries the protocol only: everything else goes to stderr.
"""

from __future__ import annotations

import anyio

from portal.services.accounts import token_caller
from portal.web.assistant import assistant_server
from portal.web.runtime import WebRuntime

__all__ = ["TOKEN_VARIABLE", "TokenRefused", "serve_stdio"]

TOKEN_VARIABLE = "POSTURE_TOKEN"


class TokenRefused(Exception):
    """No token, or one that is unknown, expired or revoked."""


def serve_stdio(web: WebRuntime, token: str | None) -> None:
    """Serve every tool on stdin and stdout until the client closes them.

    Raises:
        TokenRefused: before serving, when ``token`` does not work.
    """
    if not token:
        raise TokenRefused(f"set {TOKEN_VARIABLE} to a personal API token (the portal: Account, API tokens)")
    if token_caller(web.engine, token) is None:
        raise TokenRefused(f"the token in {TOKEN_VARIABLE} is unknown, expired or revoked")
    server = assistant_server(web, lambda _: token, endpoint="stdio")
    anyio.run(server.run_stdio_async)
