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
FAN_OUTS = [c for c in COLLECTIONS.values() if isinstance(c, GraphFanOut)]
_GROUP = {"@odata.type": "#microsoft.graph.group", "id": "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"}


def _fan_out_paths(fan_out: GraphFanOut) -> list[str]:
    """The requests of a fan-out whose sources name one group holding Global Administrator (or, for a
    fan-out of a fan-out, one group nested in it)."""
    assignment = {"principalId": _GROUP["id"], "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
                  "principal": _GROUP}
    sources = [{_GROUP["id"]: [assignment]} if isinstance(COLLECTIONS[s], GraphFanOut) else [assignment]
               for s in fan_out.sources]
    return list(fan_out.requests(*sources).values())


@pytest.mark.parametrize("fan_out", FAN_OUTS, ids=lambda c: c.name)
def test_fan_out_request_is_routed_with_its_permission(fan_out: GraphFanOut) -> None:
    paths = _fan_out_paths(fan_out)
    assert paths
    for path in paths:
        found = match_route(path.split("?")[0])
        assert found is not None, path
        assert set(fan_out.permissions) & set(found[0].permissions), (fan_out.permissions, found[0].permissions)


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
    for fan_out in FAN_OUTS:
        for path in _fan_out_paths(fan_out):
            route, params = match_route(path.split("?")[0])  # type: ignore[misc]
            tenant.graph.setdefault(route.data_key(params), [])
            response = client.get(f"{server.graph_url}/v1.0{path}", headers=headers)
            assert response.status_code == 200, (path, response.text)


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
