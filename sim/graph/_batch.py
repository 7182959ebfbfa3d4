"""JSON batching: ``POST /v1.0/$batch`` with up to 20 sub-requests.

Each sub-request goes through ``handle_graph_request`` (same auth, permissions, faults and budget
as a top-level request) with the envelope's headers under its own, and comes back as
``{id, status, headers, body}``.

Decisions, and why:
- Responses come back in an order unrelated to the request order (sorted by a hash of the id),
  which Graph allows: a client that pairs responses by position breaks here, not in production.
- A sub-request URL is relative to the version root (``users?$top=999``, ``/users``); a nextLink
  made relative by stripping the host (``/graph/v1.0/users?...``) or the host and version is
  accepted too. An absolute URL is refused for that sub-request (400), as Graph does.
- The envelope itself can fail only by a dropped connection (``FaultInjector.draw_drop``); a
  sub-request's own faults are 429, 503 and 504 (a drop cannot happen inside a batch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sim.graph._handler import authenticate, handle_graph_request, record
from sim.graph._reply import Reply, graph_error, new_request_ids
from sim.state import SimState

__all__ = ["MAX_BATCH_REQUESTS", "handle_batch"]

#: Graph's limit of sub-requests in one batch.
MAX_BATCH_REQUESTS = 20

_HEADER_NAMES = {"content-type": "Content-Type", "retry-after": "Retry-After", "odata-version": "OData-Version",
                 "www-authenticate": "WWW-Authenticate"}


def handle_batch(state: SimState, headers: Mapping[str, str], body: bytes, base: str) -> Reply:
    """Serve a ``$batch`` envelope."""
    ids = new_request_ids(headers)
    token = authenticate(state, headers, "graph")
    tenant_id = token.tenant_id if not isinstance(token, str) else "-"
    if state.injector.draw_drop():
        reply = graph_error(200, "", "", ids, tenant_id=tenant_id, fault="drop")
        reply.drop = True
        return reply
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        payload = None
    requests = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        return graph_error(400, "BadRequest", "Invalid batch payload format: a 'requests' array is required.", ids,
                           tenant_id=tenant_id)
    if len(requests) > MAX_BATCH_REQUESTS:
        return graph_error(400, "BadRequest", f"The batch holds {len(requests)} requests; the limit is "
                           f"{MAX_BATCH_REQUESTS}.", ids, tenant_id=tenant_id)
    request_ids = [str(r.get("id", "")) for r in requests]
    if any(not i for i in request_ids) or len(set(request_ids)) != len(request_ids):
        return graph_error(400, "BadRequest", "Every batch request needs a unique, non-empty 'id'.", ids,
                           tenant_id=tenant_id)
    if any(not isinstance(r.get("url"), str) or not isinstance(r.get("method"), str) for r in requests):
        return graph_error(400, "BadRequest", "Every batch request needs a 'method' and a 'url'.", ids,
                           tenant_id=tenant_id)
    responses = [_sub_response(state, r, headers, base) for r in requests]
    responses.sort(key=lambda r: hashlib.sha256(r["id"].encode()).digest())
    reply_headers = {"content-type": "application/json;odata.metadata=minimal;charset=utf-8",
                     "request-id": ids[0], "client-request-id": ids[1]}
    return Reply(200, {"responses": responses}, reply_headers, tenant_id=tenant_id)


def _sub_response(state: SimState, request: dict[str, Any], headers: Mapping[str, str], base: str) -> dict[str, Any]:
    sub_headers = dict(headers)
    sub_headers.pop("content-length", None)
    for name, value in (request.get("headers") or {}).items():
        sub_headers[str(name).lower()] = str(value)
    method = request["method"].upper()
    url = request["url"]
    if urlsplit(url).scheme:
        reply = graph_error(400, "BadRequest", "A batch request URL must be relative to the version root.",
                            new_request_ids(sub_headers))
    else:
        parts = urlsplit("/" + url.lstrip("/"))
        path = parts.path
        graph_root = urlsplit(base).path
        if graph_root and path.startswith(graph_root + "/"):
            path = path[len(graph_root):]
        if not path.startswith("/v1.0/"):
            path = "/v1.0" + path
        reply = handle_graph_request(state, method, path, parts.query, sub_headers, base, in_batch=True)
    record(state, reply, method, url, "batch_subrequest")
    out_headers = {_HEADER_NAMES[k]: v for k, v in reply.headers.items() if k in _HEADER_NAMES}
    return {"id": str(request["id"]), "status": reply.status, "headers": out_headers, "body": reply.body}
