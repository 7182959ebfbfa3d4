"""Every Graph request the scanner sends (scanner/collections.py) is served, with the permission the
scanner declares for it: this catches drift between the two packages from either side.

The test reads the scanner's plan; the simulator itself never imports scanner code.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from scanner.collections import COLLECTIONS, GraphCollection, GraphFanOut
from sim import SimServer, SimState
from sim.graph import match_route
from tests.sim.conftest import CONTOSO

GRAPH = [c for c in COLLECTIONS.values() if isinstance(c, GraphCollection)]


@pytest.mark.parametrize("collection", GRAPH, ids=lambda c: c.name)
def test_scanner_request_is_routed_with_its_permission(collection: GraphCollection) -> None:
    found = match_route(collection.path.split("?")[0])
    assert found is not None, collection.path
    route, _ = found
    assert set(collection.permissions) & set(route.permissions), (collection.permissions, route.permissions)
    assert (route.kind == "entity") == (collection.kind == "object")


def test_every_scanner_request_answers_200(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Callable[..., dict[str, str]]
) -> None:
    tenant = state.tenant(CONTOSO)
    for collection in GRAPH:
        route, params = match_route(collection.path.split("?")[0])  # type: ignore[misc]
        tenant.graph.setdefault(route.data_key(params), {"id": "x"} if route.kind == "entity" else [])
    headers = token_for()
    for collection in GRAPH:
        response = client.get(f"{server.graph_url}/v1.0{collection.path}", headers={**headers, **collection.headers})
        assert response.status_code == 200, (collection.path, response.text)
    fan_out = next(c for c in COLLECTIONS.values() if isinstance(c, GraphFanOut))
    assignments = client.get(
        f"{server.graph_url}/v1.0/roleManagement/directory/roleAssignments?$expand=principal", headers=headers
    ).json()["value"]
    for path in fan_out.requests(assignments).values():
        assert client.get(f"{server.graph_url}/v1.0{path}", headers=headers).status_code == 200


def test_ten_thousand_users_page_through(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Callable[..., dict[str, str]]
) -> None:
    from tests.sim.conftest import make_users

    state.tenant(CONTOSO).graph["/users"] = make_users(10_000)
    headers = token_for()
    users = next(c for c in GRAPH if c.name == "users")
    url: str | None = f"{server.graph_url}/v1.0{users.path}"
    total = 0
    while url:
        body = client.get(url, headers=headers).json()
        total += len(body["value"])
        url = body.get("@odata.nextLink")
    assert total == 10_000
