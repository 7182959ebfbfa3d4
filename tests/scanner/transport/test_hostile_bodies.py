"""Graph bodies no service should send, and the scan must survive: each spoils its own collection only.

A looping ``@odata.nextLink``, ``NaN`` and ``Infinity``, an escaped NUL character, nesting deep enough
for ``RecursionError``: the collection that carried it errors (``paging_limit`` or ``malformed_data``),
its neighbours in the same ``$batch`` are read as usual.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from scanner._errors import MalformedData, PagingLimit
from scanner._transport import GraphClient, GraphRequest, RequestStats

from .conftest import GRAPH, TENANT, FakeGraph, FakeTokens


def client(graph: Any, tokens: FakeTokens, **kwargs: Any) -> GraphClient:
    return GraphClient(TENANT, tokens, GRAPH, http=httpx.AsyncClient(transport=httpx.MockTransport(graph)),
                       backoff_s=0.01, stats=RequestStats(), **kwargs)


def raw(body: bytes) -> Any:
    return lambda: (200, {"content-type": "application/json"}, body)


async def test_a_next_link_that_loops_stops_at_the_page_cap(graph: FakeGraph, tokens: FakeTokens):
    looping = {"value": [{"id": "u1"}], "@odata.nextLink": f"{GRAPH}/v1.0/users?$skiptoken=again"}
    graph.routes["/users"] = lambda: (200, {}, looping)
    graph.routes["/users?$skiptoken=again"] = lambda: (200, {}, looping)
    graph.collection("/groups", [[{"id": "g1"}]])
    async with client(graph, tokens, max_pages=25) as c:
        out = await c.fetch_many({"users": GraphRequest("/users"), "groups": GraphRequest("/groups")})

    assert isinstance(out["users"], PagingLimit)
    assert out["users"].reason == "paging_limit"
    assert "25 pages" in str(out["users"])
    assert out["groups"] == [{"id": "g1"}]
    assert len(graph.wire) == 25


async def test_a_collection_past_the_byte_cap_stops(graph: FakeGraph, tokens: FakeTokens):
    big = [{"id": f"u{n}", "displayName": "x" * 500} for n in range(40)]
    graph.collection("/users", [big, big, big, big])
    async with client(graph, tokens, max_bytes=50_000) as c:
        out = await c.fetch_many({"users": GraphRequest("/users")})

    assert isinstance(out["users"], PagingLimit)
    assert "MiB" in str(out["users"])


async def test_nan_in_one_sub_response_spoils_only_that_collection(graph: FakeGraph, tokens: FakeTokens):
    # The fake's $batch inlines JSON; Python writes NaN as a bare NaN token, as a broken service might.
    graph.routes["/security/secureScores"] = lambda: (200, {}, {"value": [{"currentScore": float("nan")}]})
    graph.collection("/groups", [[{"id": "g1"}]])
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"scores": GraphRequest("/security/secureScores"),
                                  "groups": GraphRequest("/groups")})

    assert isinstance(out["scores"], MalformedData)
    assert out["scores"].reason == "malformed_data"
    assert out["groups"] == [{"id": "g1"}]


async def test_infinity_on_a_plain_get_is_malformed_data(graph: FakeGraph, tokens: FakeTokens):
    graph.routes["/security/secureScores"] = raw(b'{"value": [{"currentScore": Infinity}]}')
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"scores": GraphRequest("/security/secureScores")})

    assert isinstance(out["scores"], MalformedData)


async def test_an_escaped_nul_character_is_malformed_data(graph: FakeGraph, tokens: FakeTokens):
    graph.routes["/users"] = raw(b'{"value": [{"id": "u1", "displayName": "Ann\\u0000"}]}')
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"users": GraphRequest("/users")})

    assert isinstance(out["users"], MalformedData)


async def test_an_escaped_backslash_before_u0000_is_just_text(graph: FakeGraph, tokens: FakeTokens):
    graph.routes["/users"] = raw(b'{"value": [{"id": "u1", "displayName": "C:\\\\u0000"}]}')
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"users": GraphRequest("/users")})

    assert out["users"] == [{"id": "u1", "displayName": "C:\\u0000"}]


async def test_nesting_deep_enough_for_recursion_error_is_malformed_data(graph: FakeGraph, tokens: FakeTokens):
    deep = b'{"value": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    graph.routes["/users"] = raw(deep)
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"users": GraphRequest("/users")})

    assert isinstance(out["users"], MalformedData)


async def test_a_number_beyond_float_range_is_malformed_data(graph: FakeGraph, tokens: FakeTokens):
    # Valid JSON, but Python reads it as infinity, which jsonb refuses as it refuses Infinity.
    graph.routes["/security/secureScores"] = raw(b'{"value": [{"currentScore": 1e400}]}')
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"scores": GraphRequest("/security/secureScores")})

    assert isinstance(out["scores"], MalformedData)


@pytest.mark.parametrize("name", ["Ann\x00", "Ann\ud800"], ids=["nul", "lone-surrogate"])
async def test_what_jsonb_refuses_in_one_sub_response_spoils_only_that_collection(
    graph: FakeGraph, tokens: FakeTokens, name: str
):
    # .NET strings are UTF-16, so a service can send half a character; jsonb refuses "\ud800" alone.
    graph.routes["/users"] = lambda: (200, {}, {"value": [{"id": "u1", "displayName": name}]})
    graph.collection("/groups", [[{"id": "g1", "displayName": "Sales \U0001F600"}]])  # a pair is text
    async with client(graph, tokens) as c:
        out = await c.fetch_many({"users": GraphRequest("/users"), "groups": GraphRequest("/groups")})

    assert isinstance(out["users"], MalformedData)
    assert out["groups"] == [{"id": "g1", "displayName": "Sales \U0001F600"}]


async def test_the_partitions_of_one_list_share_its_page_cap(graph: FakeGraph, tokens: FakeTokens):
    # Two ranges of one list whose links loop: together they stop at the list's cap, not at twice it.
    for name in ("a", "b"):
        looping = {"value": [{"id": name}], "@odata.nextLink": f"{GRAPH}/v1.0/users?$skiptoken={name}"}
        graph.routes[f"/users?$filter={name}"] = lambda looping=looping: (200, {}, looping)
        graph.routes[f"/users?$skiptoken={name}"] = lambda looping=looping: (200, {}, looping)
    async with client(graph, tokens, max_pages=20) as c:
        out = await c.fetch_many({"s/0": GraphRequest("/users?$filter=a", share="s"),
                                  "s/1": GraphRequest("/users?$filter=b", share="s")})

    assert isinstance(out["s/0"], PagingLimit) or isinstance(out["s/1"], PagingLimit)
    assert len(graph.wire) <= 21  # one page of the other range may be in flight in the same $batch
