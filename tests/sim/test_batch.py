"""JSON batching: limits, per-sub-request handling and throttling, relative nextLinks."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from sim import SimServer, SimState
from tests.sim.conftest import CONTOSO, make_users

Headers = Callable[..., dict[str, str]]


def _batch(
    client: httpx.Client, server: SimServer, headers: dict[str, str], requests: list[dict[str, object]]
) -> httpx.Response:
    return client.post(f"{server.graph_url}/v1.0/$batch", json={"requests": requests}, headers=headers)


def test_more_than_20_requests_is_400(client: httpx.Client, server: SimServer, token_for: Headers) -> None:
    requests = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    response = _batch(client, server, token_for(), requests)
    assert response.status_code == 400 and response.json()["error"]["code"] == "BadRequest"
    assert _batch(client, server, token_for(), requests[:20]).status_code == 200


def test_each_sub_request_is_handled_on_its_own(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.remove_permission(CONTOSO, "Policy.Read.All")
    requests = [
        {"id": "org", "method": "GET", "url": "/organization?$select=id,displayName"},
        {"id": "authz", "method": "GET", "url": "policies/authorizationPolicy"},
        {"id": "ghost", "method": "GET", "url": "/nothingHere"},
    ]
    body = _batch(client, server, token_for(), requests).json()
    by_id = {r["id"]: r for r in body["responses"]}
    assert by_id["org"]["status"] == 200 and by_id["org"]["body"]["value"][0]["id"] == CONTOSO
    assert by_id["authz"]["status"] == 403
    assert by_id["authz"]["body"]["error"]["code"] == "Authorization_RequestDenied"
    assert by_id["ghost"]["status"] == 404


def test_a_relative_next_link_pages_through_a_batch(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).graph["/users"] = make_users(30)
    url, seen = "/users?$select=id&$top=10", []
    while url:
        response = _batch(client, server, token_for(), [{"id": "1", "method": "GET", "url": url}]).json()["responses"][
            0
        ]
        assert response["status"] == 200
        seen += [u["id"] for u in response["body"]["value"]]
        link = response["body"].get("@odata.nextLink")
        url = urlsplit(link).path.removeprefix("/graph/v1.0") + "?" + urlsplit(link).query if link else ""
    assert len(set(seen)) == 30


def test_throttled_sub_requests_carry_retry_after(
    client: httpx.Client, server: SimServer, set_faults: Callable[..., None], token_for: Headers
) -> None:
    headers = token_for()
    set_faults(throttle_requests_per_10s=3)
    requests = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(5)]
    body = _batch(client, server, headers, requests).json()
    statuses = sorted(r["status"] for r in body["responses"])
    assert statuses == [200, 200, 200, 429, 429]
    throttled = [r for r in body["responses"] if r["status"] == 429]
    assert all(1 <= int(r["headers"]["Retry-After"]) <= 10 for r in throttled)
    assert throttled[0]["body"]["error"]["code"] == "TooManyRequests"
