"""Exchange Online admin API: InvokeCommand paging, auth and the directory-role refusal."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from sim import SimServer, SimState
from tests.sim.conftest import CONTOSO

Headers = Callable[..., dict[str, str]]


def _invoke(client: httpx.Client, url: str, headers: dict[str, str], cmdlet: str) -> httpx.Response:
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": {"ResultSize": "Unlimited"}}}
    return client.post(url, json=body, headers=headers)


def test_mailboxes_page_by_1000(client: httpx.Client, server: SimServer, state: SimState, token_for: Headers) -> None:
    state.tenant(CONTOSO).exchange["Get-Mailbox"] = [{"Identity": f"mbx{i}"} for i in range(2500)]
    headers = token_for(resource="exchange")
    url: str | None = f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand"
    sizes, names = [], []
    while url:
        response = _invoke(client, url, headers, "Get-Mailbox")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["@odata.context"].endswith("$metadata#Collection(Exchange.GenericHashTable)")
        assert body["@adminapi.warnings"] == [] and body["adminapi.warnings@odata.type"] == "#Collection(String)"
        sizes.append(len(body["value"]))
        names += [m["Identity"] for m in body["value"]]
        url = body.get("@odata.nextLink")
    assert sizes == [1000, 1000, 500] and len(set(names)) == 2500


def test_next_link_is_bound_to_its_cmdlet(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).exchange["Get-Mailbox"] = [{"Identity": f"mbx{i}"} for i in range(1500)]
    headers = token_for(resource="exchange")
    link = _invoke(
        client, f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand", headers, "Get-Mailbox"
    ).json()["@odata.nextLink"]
    assert _invoke(client, link, headers, "Get-CASMailbox").status_code == 400


def test_graph_token_is_401_with_a_challenge(client: httpx.Client, server: SimServer, token_for: Headers) -> None:
    response = _invoke(
        client, f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand", token_for(), "Get-TransportConfig"
    )
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer ")
    assert response.json()["error"]["message"]


def test_missing_manage_as_app_is_401(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.remove_permission(CONTOSO, "Exchange.ManageAsApp")
    response = _invoke(
        client,
        f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand",
        token_for(resource="exchange"),
        "Get-TransportConfig",
    )
    assert response.status_code == 401


def test_missing_directory_role_is_403(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.set_exchange_role(CONTOSO, False)
    response = _invoke(
        client,
        f"{server.exchange_url}/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand",
        token_for(resource="exchange"),
        "Get-TransportConfig",
    )
    assert response.status_code == 403
    assert "role assigned to application" in response.json()["error"]["message"]


def test_unknown_cmdlet_is_400_and_known_empty_one_is_empty(
    client: httpx.Client, server: SimServer, token_for: Headers
) -> None:
    url = f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand"
    headers = token_for(resource="exchange")
    assert _invoke(client, url, headers, "Remove-Everything").status_code == 400
    assert _invoke(client, url, headers, "Get-DkimSigningConfig").json()["value"] == []
    config = _invoke(client, url, headers, "Get-TransportConfig").json()["value"]
    assert config == [{"SmtpClientAuthenticationDisabled": False}]


def test_defender_cmdlets_exist_only_in_tenants_with_defender(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    url = f"{server.exchange_url}/adminapi/beta/{CONTOSO}/InvokeCommand"
    headers = token_for(resource="exchange")
    refused = _invoke(client, url, headers, "Get-SafeLinksPolicy")
    assert refused.status_code == 400 and "is not recognized" in refused.json()["error"]["message"]
    assert _invoke(client, url, headers, "Get-EOPProtectionPolicyRule").status_code == 200  # EOP: everyone
    plans = state.tenant(CONTOSO).service_plans
    plans.add("ATP_ENTERPRISE")
    try:
        assert _invoke(client, url, headers, "Get-SafeLinksPolicy").status_code == 200
    finally:
        plans.discard("ATP_ENTERPRISE")
