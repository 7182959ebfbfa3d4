"""Admin consent (v2): the page, the accept and cancel redirects, and the refusals Entra shows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from sim import ServiceApp, SimServer, SimState
from tests.sim.conftest import ALL_PERMISSIONS, CONTOSO, FABRIKAM, REDIRECT


def _params(app: ServiceApp, server: SimServer, **overrides: str) -> dict[str, str]:
    params = {
        "client_id": app.client_id,
        "scope": f"{server.graph_url}/.default",
        "redirect_uri": REDIRECT,
        "state": "nonce-123",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v != ""}


def _consent_url(server: SimServer, tenant: str) -> str:
    return f"{server.authority_host}/{tenant}/v2.0/adminconsent"


def test_accept_grants_consent_and_redirects_with_the_tenant_guid(
    client: httpx.Client, server: SimServer, state: SimState, secret_app: tuple[ServiceApp, str]
) -> None:
    state.revoke_consent(CONTOSO)
    params = _params(secret_app[0], server)
    page = client.get(_consent_url(server, "contoso.onmicrosoft.com"), params=params)
    assert page.status_code == 200 and "<form method=post>" in page.text and "Accept" in page.text
    response = client.post(_consent_url(server, "contoso.onmicrosoft.com"), data={**params, "decision": "accept"})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert parse_qs(location.query) == {
        "admin_consent": ["True"],
        "tenant": [CONTOSO],
        "scope": [params["scope"]],
        "state": ["nonce-123"],
    }
    tenant = state.tenant(CONTOSO)
    assert tenant.consent == "granted" and tenant.granted_permissions == set(ALL_PERMISSIONS)


def test_cancel_redirects_with_access_denied_65004(
    client: httpx.Client, server: SimServer, state: SimState, secret_app: tuple[ServiceApp, str]
) -> None:
    state.revoke_consent(CONTOSO)
    params = _params(secret_app[0], server)
    response = client.post(_consent_url(server, CONTOSO), data={**params, "decision": "cancel"})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["error_description"][0].startswith("AADSTS65004: ")
    assert query["admin_consent"] == ["True"] and query["state"] == ["nonce-123"]
    assert "%3A" in response.headers["location"] or "%3a" in response.headers["location"]
    assert state.tenant(CONTOSO).consent == "revoked"


def test_missing_scope_shows_900144(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    response = client.get(_consent_url(server, CONTOSO), params=_params(secret_app[0], server, scope=""))
    assert response.status_code == 400 and "AADSTS900144" in response.text and "location" not in response.headers


def test_unregistered_redirect_shows_50011_without_redirecting(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    params = _params(secret_app[0], server, redirect_uri="https://evil.test/cb")
    for response in (
        client.get(_consent_url(server, CONTOSO), params=params),
        client.post(_consent_url(server, CONTOSO), data={**params, "decision": "accept"}),
    ):
        assert response.status_code == 400 and "AADSTS50011" in response.text
        assert "location" not in response.headers


def test_unknown_client_shows_700016(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    params = _params(secret_app[0], server, client_id="00000000-0000-0000-0000-00000000dead")
    response = client.get(_consent_url(server, CONTOSO), params=params)
    assert response.status_code == 400 and "AADSTS700016" in response.text


def test_organizations_lets_the_admin_pick_a_tenant(
    client: httpx.Client, server: SimServer, state: SimState, secret_app: tuple[ServiceApp, str]
) -> None:
    state.revoke_consent(FABRIKAM)
    params = _params(secret_app[0], server)
    page = client.get(_consent_url(server, "organizations"), params=params)
    assert re.search(rf'<option value="{FABRIKAM}">', page.text)
    response = client.post(
        _consent_url(server, "organizations"), data={**params, "tenant": FABRIKAM, "decision": "accept"}
    )
    assert parse_qs(urlsplit(response.headers["location"]).query)["tenant"] == [FABRIKAM]
    assert state.tenant(FABRIKAM).consent == "granted"
