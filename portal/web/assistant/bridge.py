"""``posture mcp --url``: stdio on one side, the portal's ``/mcp`` on the other, for a desktop.

A desktop assistant starts a command and speaks MCP on its stdin and stdout; the portal speaks it
over HTTP. This relays each message, as it is, to ``/mcp`` with the token, and writes the answer back:
the desktop needs the portal's address and a personal API token, nothing of the server's (no
database login, no scope key), so the token is all it holds and all it can use.

The endpoint is stateless with JSON answers (:mod:`.http`): one POST per message, one JSON answer per
request, nothing for a notification (202).
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

import httpx

__all__ = ["relay"]


def _error(message_id: object, code: int, text: str) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": message_id, "error": {"code": code, "message": text}})


def relay(url: str, token: str, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
          transport: httpx.BaseTransport | None = None) -> None:
    """Relay newline-delimited JSON-RPC messages from ``stdin`` to ``url`` until stdin closes."""
    headers = {"authorization": f"Bearer {token}", "accept": "application/json, text/event-stream",
               "content-type": "application/json"}
    with httpx.Client(headers=headers, timeout=httpx.Timeout(120, connect=10), transport=transport,
                      follow_redirects=False) as client:
        for line in stdin:
            if not line.strip():
                continue
            try:
                message_id = json.loads(line).get("id")
            except (ValueError, AttributeError):
                message_id = None
            try:
                response = client.post(url, content=line.encode())
            except httpx.HTTPError as exc:
                answer = _error(message_id, -32000, f"the portal cannot be reached: {exc}")
            else:
                if response.status_code == 202 or (message_id is None and response.is_success):
                    continue  # a notification: nothing to answer
                if response.headers.get("content-type", "").startswith("application/json") and response.is_success:
                    answer = response.text.strip()
                else:
                    answer = _error(message_id, -32001, f"the portal answered {response.status_code}: "
                                    f"{response.text[:300]}")
            if message_id is not None:
                stdout.write(answer + "\n")
                stdout.flush()
