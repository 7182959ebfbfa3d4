"""The control API under /_sim changes the running world the way SimState does."""

from __future__ import annotations

import httpx

from sim import ServiceApp, SimServer, SimState
from tests.sim.conftest import CONTOSO, request_token


def test_tenants_are_listed_and_described(client: httpx.Client, server: SimServer) -> None:
    listed = client.get(f"{server.base_url}/_sim/tenants").json()
    assert {t["default_domain"] for t in listed} == {"contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"}
    detail = client.get(f"{server.base_url}/_sim/tenants/contoso.onmicrosoft.com").json()
    assert detail["id"] == CONTOSO and detail["expected"] == {"entra.authz.no_user_app_registration": "fail"}
    assert client.get(f"{server.base_url}/_sim/tenants/nowhere").status_code == 404


def test_revoke_disable_and_consent_over_http(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    app, secret = secret_app
    assert client.post(f"{server.base_url}/_sim/tenants/{CONTOSO}/revoke").json()["consent"] == "revoked"
    assert request_token(client, server, app.client_id, secret).json()["error_codes"] == [700016]
    client.post(f"{server.base_url}/_sim/tenants/{CONTOSO}/disable")
    assert request_token(client, server, app.client_id, secret).json()["error_codes"] == [7000112]
    granted = client.post(f"{server.base_url}/_sim/tenants/{CONTOSO}/consent", json={"permissions": ["User.Read.All"]})
    assert granted.json()["granted_permissions"] == ["User.Read.All"]
    assert request_token(client, server, app.client_id, secret).status_code == 200


def test_permissions_and_exchange_role_over_http(client: httpx.Client, server: SimServer, state: SimState) -> None:
    url = f"{server.base_url}/_sim/tenants/{CONTOSO}"
    client.post(f"{url}/permissions", json={"permission": "Policy.Read.All", "action": "remove"})
    assert "Policy.Read.All" not in state.tenant(CONTOSO).granted_permissions
    client.post(f"{url}/permissions", json={"permission": "Policy.Read.All", "action": "restore"})
    assert "Policy.Read.All" in state.tenant(CONTOSO).granted_permissions
    assert client.post(f"{url}/permissions", json={"permission": 3}).status_code == 400
    client.post(f"{url}/exchange-role", json={"assigned": False})
    assert state.tenant(CONTOSO).exchange_role_assigned is False


def test_faults_are_set_at_run_time(client: httpx.Client, server: SimServer, state: SimState) -> None:
    response = client.put(f"{server.base_url}/_sim/faults", json={"fault_rate": 0.25, "seed": 9})
    assert response.status_code == 200 and response.json()["fault_rate"] == 0.25
    assert state.faults.fault_rate == 0.25 and state.faults.seed == 9 and state.faults.retry_after_s == 1
    assert client.put(f"{server.base_url}/_sim/faults", json={"fault_rate": 3}).status_code == 400
    assert client.put(f"{server.base_url}/_sim/faults", json={"bogus": 1}).status_code == 400
    assert client.get(f"{server.base_url}/_sim/faults").json()["seed"] == 9
