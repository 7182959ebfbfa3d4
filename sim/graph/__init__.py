"""Simulated Microsoft Graph v1.0: the routing table, OData query handling, paging and ``$batch``.

``handle_graph`` serves one request to the Graph root (``/graph`` on the simulator) and returns a
``Reply``; ``sim.app`` puts it on the wire. ``ROUTES`` is the one table of served endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.graph._batch import MAX_BATCH_REQUESTS, handle_batch
from sim.graph._handler import handle_graph_request, record
from sim.graph._reply import GRAPH_CONTENT_TYPE, Reply, graph_error, new_request_ids
from sim.graph._routes import ROUTES, Route, match_route
from sim.state import SimState

__all__ = [
    "GRAPH_CONTENT_TYPE",
    "MAX_BATCH_REQUESTS",
    "ROUTES",
    "Reply",
    "Route",
    "graph_error",
    "handle_graph",
    "match_route",
    "new_request_ids",
    "record",
]


def handle_graph(state: SimState, method: str, path: str, query_string: str, headers: Mapping[str, str],
                 body: bytes, base: str) -> tuple[Reply, str]:
    """Serve a request below the Graph root and log it.

    Args:
        path: below the Graph root, starting with the version (``/v1.0/users``).
        headers: request headers with lower-case names.
        base: the Graph root URL as the client reached it (``https://127.0.0.1:8443/graph``).

    Returns:
        The reply and the request-log kind (``graph`` or ``batch``).
    """
    if path.rstrip("/") == "/v1.0/$batch" and method == "POST":
        reply, kind = handle_batch(state, headers, body, base), "batch"
    else:
        reply, kind = handle_graph_request(state, method, path, query_string, headers, base), "graph"
    target = path + (f"?{query_string}" if query_string else "")
    record(state, reply, method, target, kind)
    return reply, kind
