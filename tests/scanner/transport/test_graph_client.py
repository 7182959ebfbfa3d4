"""GraphClient against a fake Graph: paging, $batch rounds, retries, error classification."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import pytest

from scanner._errors import (
    ConsentMissing,
    InsufficientPermission,
    MalformedResponse,
    ServiceError,
    Throttled,
)
from scanner._transport import GraphClient, GraphRequest, RequestStats

from .conftest import GRAPH, TENANT, FakeGraph, FakeTokens, b64, graph_error


def client(graph: Any, tokens: FakeTokens, **kwargs: Any) -> GraphClient:
    kwargs.setdefault("backoff_s", 0.01)
    kwargs.setdefault("stats", RequestStats())
    return GraphClient(TENANT, tokens, GRAPH, http=httpx.AsyncClient(transport=httpx.MockTransport(graph)), **kwargs)


def users(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i} for i in ids]


async def test_pages_every_collection_to_the_end_with_pages_sharing_batches(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/users?$top=2", [users("u1", "u2"), users("u3", "u4"), users("u5")])
    graph.collection("/groups", [users("g1"), users("g2")])
    graph.entity("/policies/authorizationPolicy", {"id": "authorizationPolicy", "allowUserConsent": False})
    async with client(graph, tokens) as c:
        out = await c.fetch_many({
            "users": GraphRequest("/users?$top=2"),
            "groups": GraphRequest("groups"),
            "authz": GraphRequest("/policies/authorizationPolicy", "object"),
        })
    assert out["users"] == users("u1", "u2", "u3", "u4", "u5")
    assert out["groups"] == users("g1", "g2")
    assert out["authz"] == {"id": "authorizationPolicy", "allowUserConsent": False}
    # Round 1: all three first requests; round 2: both nextLinks together; round 3: the last page alone.
    assert graph.kinds() == ["batch", "batch", "get"]
    assert graph.batches()[1] == ["/users?$top=2&$skiptoken=p1", "/groups?$skiptoken=p1"]
    assert c.stats.requests == 3


async def test_single_request_is_a_plain_get_without_odata_context(graph: FakeGraph, tokens: FakeTokens):
    graph.entity("/organization/x", {"id": "x"})
    async with client(graph, tokens) as c:
        assert await c.get_object("/organization/x") == {"id": "x"}
    assert graph.kinds() == ["get"]
    sent = graph.wire[0]
    assert sent.headers["authorization"] == "Bearer token-1"
    assert sent.headers["x-ms-throttle-priority"] == "Low"
    assert sent.headers["client-request-id"]
    assert tokens.calls == [(TENANT, GRAPH, False)]


async def test_sub_request_headers_travel_inside_the_batch(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("1")])
    graph.collection("/b", [users("2")])
    async with client(graph, tokens) as c:
        await c.fetch_many({"a": GraphRequest("/a", headers={"Prefer": "include-unknown-enum-members"}),
                            "b": GraphRequest("/b")})
    subs = json.loads(graph.wire[0].content)["requests"]
    assert subs[0]["headers"] == {"Prefer": "include-unknown-enum-members"}
    assert "headers" not in subs[1]


async def test_more_than_twenty_requests_are_split_and_a_lone_one_goes_as_a_get(graph: FakeGraph,
                                                                                tokens: FakeTokens):
    for n in range(21):
        graph.entity(f"/things/{n}", {"id": str(n)})
    async with client(graph, tokens) as c:
        out = await c.fetch_many({str(n): GraphRequest(f"/things/{n}", "object") for n in range(21)})
    assert out == {str(n): {"id": str(n)} for n in range(21)}
    assert sorted(graph.kinds()) == ["batch", "get"]
    assert [len(b) for b in graph.batches()] == [20]


async def test_retries_only_the_throttled_sub_request(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    graph.collection("/b", [users("b1")])
    graph.faults["/a"].append(graph_error(429, "TooManyRequests", headers={"Retry-After": "0"}))
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert out == {"a": users("a1"), "b": users("b1")}
    assert graph.served == ["/a", "/b", "/a"]
    assert (c.stats.requests, c.stats.retries, c.stats.throttled) == (2, 1, 1)


async def test_waits_out_the_largest_retry_after(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    graph.collection("/b", [users("b1")])
    graph.faults["/a"].append(graph_error(429, "TooManyRequests", headers={"Retry-After": "1"}))
    graph.faults["/b"].append(graph_error(429, "TooManyRequests", headers={"Retry-After": "0"}))
    started = time.monotonic()
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert time.monotonic() - started >= 0.95
    assert out == {"a": users("a1"), "b": users("b1")}
    assert graph.kinds() == ["batch", "batch"]


async def test_sub_requests_throttled_past_max_retries_become_throttled(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/b", [users("b1")])
    for path in ("/a", "/c"):
        graph.faults[path] += [graph_error(429, "TooManyRequests", headers={"Retry-After": "0"})] * 10
    async with client(graph, tokens, max_retries=2) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b"), "c": GraphRequest("/c")})
    assert out["b"] == users("b1")
    for key in ("a", "c"):
        assert isinstance(out[key], Throttled)
        assert out[key].reason == "throttled"
        assert out[key].retry_after_s == 0
        assert TENANT in str(out[key])
    assert graph.kinds() == ["batch"] * 3  # the first try and two retries


async def test_a_503_with_retry_after_is_throttling(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/b", [users("b1")])
    graph.faults["/a"] += [graph_error(503, "serviceNotAvailable", headers={"Retry-After": "0"})] * 10
    async with client(graph, tokens, max_retries=1) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert isinstance(out["a"], Throttled) and out["a"].status == 503


async def test_persistent_503_without_retry_after_is_a_service_error(graph: FakeGraph, tokens: FakeTokens):
    graph.faults["/a"] += [graph_error(503, "serviceNotAvailable")] * 10
    async with client(graph, tokens, max_retries=1) as c:
        with pytest.raises(ServiceError) as caught:
            await c.get_all("/a")
    assert caught.value.reason == "service_error:503"
    assert graph.served == ["/a", "/a"]  # a plain GET: retried by the middleware


async def test_authorization_request_denied_names_the_permission_and_is_not_retried(graph: FakeGraph,
                                                                                    tokens: FakeTokens):
    graph.collection("/b", [users("b1")])
    graph.faults["/identity/conditionalAccess/policies"].append(
        graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
    request = GraphRequest("/identity/conditionalAccess/policies", permissions=("Policy.Read.All",))
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"ca": request, "b": GraphRequest("/b")})
    error = out["ca"]
    assert isinstance(error, InsufficientPermission)
    assert error.reason == "insufficient_permission:Policy.Read.All"
    assert error.code == "Authorization_RequestDenied"
    assert "Policy.Read.All" in str(error) and TENANT in str(error)
    assert out["b"] == users("b1")
    assert graph.served.count("/identity/conditionalAccess/policies") == 1


async def test_licence_403_is_a_service_error_not_a_permission(graph: FakeGraph, tokens: FakeTokens):
    graph.faults["/reports/x"].append(graph_error(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant"))
    async with client(graph, tokens) as c:
        with pytest.raises(ServiceError) as caught:
            await c.get_all("/reports/x")
    assert caught.value.reason == "service_error:403"


async def test_404_keeps_graphs_code(graph: FakeGraph, tokens: FakeTokens):
    async with client(graph, tokens) as c:
        with pytest.raises(ServiceError) as caught:
            await c.get_object("/nothing/here")
    assert caught.value.reason == "service_error:404"
    assert caught.value.code == "Request_ResourceNotFound"


async def test_a_dropped_connection_is_retried(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    graph.drop = 1
    async with client(graph, tokens) as c:
        assert await c.get_all("/a") == users("a1")
        assert (c.stats.requests, c.stats.retries) == (2, 1)


async def test_a_connection_that_keeps_dropping_fails_every_request_of_the_batch(graph: FakeGraph,
                                                                               tokens: FakeTokens):
    graph.drop = 100
    async with client(graph, tokens, max_retries=2) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert all(isinstance(e, ServiceError) and e.reason == "service_error:network" for e in out.values())
    assert len(graph.wire) == 3


async def test_a_whole_batch_throttled_is_retried_by_the_middleware(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    graph.collection("/b", [users("b1")])
    graph.batch_faults.append(graph_error(429, "TooManyRequests", headers={"Retry-After": "0"}))
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert out == {"a": users("a1"), "b": users("b1")}
    assert graph.kinds() == ["batch", "batch"]
    assert (c.stats.requests, c.stats.retries, c.stats.throttled) == (2, 1, 1)


@pytest.mark.parametrize("body", [b"<html>gateway</html>", {"items": []}, {"value": "nope"}])
async def test_a_page_that_is_not_a_collection_is_malformed(graph: FakeGraph, tokens: FakeTokens, body: Any):
    graph.routes["/a"] = lambda: (200, {}, body)
    graph.collection("/b", [users("b1")])
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
        assert isinstance(out["a"], MalformedResponse)
        assert out["a"].reason == "malformed_response"
        assert out["b"] == users("b1")
        with pytest.raises(MalformedResponse):
            await c.get_all("/a")


async def test_base64_sub_response_bodies_are_decoded(graph: FakeGraph, tokens: FakeTokens):
    graph.routes["/a"] = lambda: (200, {"content-type": "application/octet-stream"}, b64({"value": users("a1")}))
    graph.routes["/b"] = lambda: (200, {}, b64(b"\x00not json"))
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert out["a"] == users("a1")
    assert isinstance(out["b"], MalformedResponse)


async def test_an_unparseable_batch_reply_makes_its_requests_malformed(graph: FakeGraph, tokens: FakeTokens):
    graph.batch_faults.append((200, {}, b"{truncated"))
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert all(isinstance(e, MalformedResponse) for e in out.values())


async def test_a_next_link_to_another_host_is_not_followed(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1"), users("a2")], host="https://elsewhere.test")
    async with client(graph, tokens) as c:
        with pytest.raises(MalformedResponse) as caught:
            await c.get_all("/a")
    assert "elsewhere.test" in str(caught.value)
    assert {r.url.host for r in graph.wire} == {"graph.test"}


async def test_a_next_link_outside_v1_is_followed_unchanged_as_a_get(graph: FakeGraph, tokens: FakeTokens):
    graph.routes["/a"] = lambda: (200, {}, {"value": users("a1"), "@odata.nextLink": f"{GRAPH}/beta/a?$skiptoken=2"})
    graph.collection("/b", [users("b1")])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/beta/"):
            seen.append(str(request.url))
            return httpx.Response(200, json={"value": users("a2")})
        return graph(request)

    async with client(handler, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert out["a"] == users("a1", "a2")
    assert seen == [f"{GRAPH}/beta/a?$skiptoken=2"]


async def test_a_401_sub_response_gets_one_fresh_token(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    graph.collection("/b", [users("b1")])
    graph.accept = lambda token, path: path != "/a" or token == "token-2"
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b")})
    assert out == {"a": users("a1"), "b": users("b1")}
    assert tokens.forced == 1


async def test_a_401_that_survives_a_fresh_token_is_insufficient_permission(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/b", [users("b1")])
    graph.accept = lambda token, path: path != "/a"
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"a": GraphRequest("/a", permissions=("User.Read.All",)), "b": GraphRequest("/b")})
    assert isinstance(out["a"], InsufficientPermission)
    assert out["a"].reason == "insufficient_permission:User.Read.All"
    assert tokens.forced == 1


async def test_a_rejected_token_on_a_plain_get_is_refreshed_once(graph: FakeGraph, tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    graph.accept = lambda token, path: token == "token-2"
    async with client(graph, tokens) as c:
        assert await c.get_all("/a") == users("a1")
    assert [r.headers["authorization"] for r in graph.wire] == ["Bearer token-1", "Bearer token-2"]


async def test_token_errors_stop_the_fetch(graph: FakeGraph):
    tokens = FakeTokens(error=ConsentMissing("not consented", tenant_id=TENANT))
    async with client(graph, tokens) as c:
        with pytest.raises(ConsentMissing):
            await c.fetch_many({"a": GraphRequest("/a"), "b": GraphRequest("/b"), "c": GraphRequest("/c")})
    assert graph.wire == []


async def test_concurrency_is_limited_per_tenant(tokens: FakeTokens):
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"id": request.url.path})

    async with client(handler, tokens, max_concurrency=2, batch_size=1) as c:
        out = await c.fetch_many({str(n): GraphRequest(f"/x/{n}", "object") for n in range(8)})
    assert len(out) == 8 and all(isinstance(v, dict) for v in out.values())
    assert peak == 2


async def test_logs_never_carry_the_token(graph: FakeGraph, tokens: FakeTokens, caplog: pytest.LogCaptureFixture):
    graph.collection("/a", [users("a1")])
    graph.faults["/a"].append(graph_error(429, "TooManyRequests", headers={"Retry-After": "0"}))
    caplog.set_level(logging.DEBUG)
    async with client(graph, tokens) as c:
        await c.get_all("/a")
    text = caplog.text
    assert "GET graph.test/v1.0/a" in text
    assert "token-1" not in text and "Bearer" not in text


async def test_one_injected_client_serves_two_graph_clients_without_stacking_middleware(graph: FakeGraph,
                                                                                        tokens: FakeTokens):
    graph.collection("/a", [users("a1")])
    shared = httpx.AsyncClient(transport=httpx.MockTransport(graph))
    stats = RequestStats()
    async with GraphClient(TENANT, tokens, GRAPH, http=shared, stats=stats) as one, \
            GraphClient(TENANT, tokens, GRAPH, http=shared, stats=stats) as two:
        await one.get_all("/a")
        await two.get_all("/a")
    assert stats.requests == len(graph.wire) == 2
    async with GraphClient(TENANT, tokens, GRAPH, http=shared) as three:  # the transport is still open
        assert await three.get_all("/a") == users("a1")


def test_invalid_settings_fail_at_construction(tokens: FakeTokens):
    with pytest.raises(ValueError, match="batch_size"):
        GraphClient(TENANT, tokens, GRAPH, batch_size=21)
    with pytest.raises(ValueError, match="max_retries"):
        GraphClient(TENANT, tokens, GRAPH, max_retries=11)
