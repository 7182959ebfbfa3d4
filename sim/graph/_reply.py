"""What a simulated service handler answers, before it goes on the wire (or into a ``$batch`` body).

Handlers return a ``Reply`` instead of writing to ASGI directly so that one code path serves a
top-level request and a ``$batch`` sub-request alike; only the ASGI layer (``sim.app``) knows how to
send one, delay it, or break the connection halfway (``drop``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GRAPH_CONTENT_TYPE", "Reply", "graph_error", "new_request_ids"]

#: The content type Graph sends with JSON bodies.
GRAPH_CONTENT_TYPE = ("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
                      "charset=utf-8")


@dataclass
class Reply:
    """One response. ``body`` is JSON-ready data (or None for an empty body).

    ``tenant_id`` is the tenant the request was attributed to (for the request log), ``"-"`` when
    none could be told; ``fault`` names the injected fault kind, if any; ``drop`` asks the ASGI layer
    to break the connection after the headers.
    """

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    tenant_id: str = "-"
    fault: str | None = None
    drop: bool = False


def new_request_ids(headers: Mapping[str, str]) -> tuple[str, str]:
    """(request-id, client-request-id): a fresh id, and the client's own id echoed (or a fresh one)."""
    request_id = str(uuid.uuid4())
    return request_id, headers.get("client-request-id") or request_id


def graph_error(status: int, code: str, message: str, ids: tuple[str, str], *,
                headers: Mapping[str, str] | None = None, tenant_id: str = "-", fault: str | None = None) -> Reply:
    """A Graph error reply: ``{"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}``."""
    inner = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": ids[0],
             "client-request-id": ids[1]}
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    all_headers = {"content-type": GRAPH_CONTENT_TYPE, "request-id": ids[0], "client-request-id": ids[1]}
    all_headers.update(headers or {})
    return Reply(status, body, all_headers, tenant_id=tenant_id, fault=fault)
