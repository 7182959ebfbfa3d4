"""Fault injection, the throttling budget, latency and the request log, seen by a real HTTP client."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from sim import FaultConfig, SimServer, SimState
from tests.sim.conftest import CONTOSO

Headers = Callable[..., dict[str, str]]


def _outcomes(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> list[str]:
    seen = []
    for _ in range(n):
        try:
            response = client.get(url, headers=headers)
        except httpx.RemoteProtocolError:
            seen.append("drop")
            continue
        retry = "+retry-after" if "retry-after" in response.headers else ""
        seen.append(f"{response.status_code}{retry}")
    return seen


def test_fault_mix_is_reproducible_at_a_seed(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    headers, url = token_for(), f"{server.graph_url}/v1.0/organization"
    state.set_faults(FaultConfig(fault_rate=1.0, seed=1, retry_after_s=2))
    first = _outcomes(client, url, headers, 60)
    kinds = Counter(o.split("+")[0] for o in first)
    assert set(kinds) == {"429", "503", "drop"} and all(n >= 5 for n in kinds.values())
    assert all(o == "429+retry-after" for o in first if o.startswith("429"))
    assert {"503", "503+retry-after"} <= set(first)  # Graph sends Retry-After with 503 only sometimes
    counts = state.log.counts(CONTOSO)
    assert (counts["fault_429"], counts["fault_503"], counts["fault_drop"]) == (
        kinds["429"],
        kinds["503"],
        kinds["drop"],
    )
    state.set_faults(FaultConfig(fault_rate=1.0, seed=1, retry_after_s=2))
    assert _outcomes(client, url, headers, 60) == first


def test_partial_fault_rate_lets_most_requests_through(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    headers = token_for()
    state.set_faults(FaultConfig(fault_rate=0.2, seed=3))
    outcomes = Counter(_outcomes(client, f"{server.graph_url}/v1.0/organization", headers, 100))
    assert 60 <= outcomes["200"] <= 95


def test_dropped_connection_raises_remote_protocol_error(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    headers = token_for()
    state.set_faults(FaultConfig(fault_rate=1.0, mix={"drop": 1.0}))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{server.graph_url}/v1.0/users", headers=headers)
    state.set_faults(FaultConfig())
    assert client.get(f"{server.graph_url}/v1.0/users", headers=headers).status_code == 200


def test_budget_throttles_until_the_window_ends(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    headers = token_for()
    other = token_for("fabrikam.onmicrosoft.com")
    state.set_faults(FaultConfig(throttle_requests_per_10s=5))
    url = f"{server.graph_url}/v1.0/organization"
    statuses = [client.get(url, headers=headers).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    throttled = client.get(url, headers=headers)
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["retry-after"]) <= 10
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert client.get(url, headers=other).status_code == 200  # budgets are per tenant


def test_latency_is_added(client: httpx.Client, server: SimServer, state: SimState, token_for: Headers) -> None:
    headers = token_for()
    state.set_faults(FaultConfig(latency_ms=150))
    started = time.perf_counter()
    client.get(f"{server.graph_url}/v1.0/organization", headers=headers)
    assert time.perf_counter() - started >= 0.15


def test_identity_faults_only_when_asked(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.set_faults(FaultConfig(fault_rate=1.0, mix={"429": 1.0}))
    token_for()  # identity is spared by default
    state.set_faults(FaultConfig(fault_rate=1.0, mix={"429": 1.0}, include_identity=True))
    response = client.get(f"{server.authority_host}/{CONTOSO}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 429 and response.json()["error"] == "temporarily_unavailable"


def test_request_log_counts_by_kind_and_resets(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.log.reset()
    headers = token_for()
    client.get(f"{server.graph_url}/v1.0/organization", headers=headers)
    client.post(
        f"{server.graph_url}/v1.0/$batch",
        headers=headers,
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": "/organization"},
                {"id": "2", "method": "GET", "url": "/domains"},
            ]
        },
    )
    client.post(
        f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand",
        headers=token_for(resource="exchange"),
        json={"CmdletInput": {"CmdletName": "Get-TransportConfig", "Parameters": {}}},
    )
    counts = state.log.counts(CONTOSO)
    assert {k: counts[k] for k in ("identity", "graph", "batch", "batch_subrequest", "exchange")} == {
        "identity": 2,
        "graph": 1,
        "batch": 1,
        "batch_subrequest": 2,
        "exchange": 1,
    }
    over_http = client.get(f"{server.base_url}/_sim/requests").json()
    assert over_http["counts"][CONTOSO]["batch_subrequest"] == 2
    assert {"method", "path", "status"} <= set(over_http["lines"][-1])
    assert over_http["lines"][-1]["path"].endswith("/InvokeCommand")
    assert client.post(f"{server.base_url}/_sim/requests/reset").status_code == 200
    assert state.log.counts() == {}
