"""Token endpoint, OpenID metadata: shapes and AADSTS codes as Entra answers them."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import jwt
import msal
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sim import ServiceApp, SimServer, SimState
from tests.sim.conftest import ALL_PERMISSIONS, CONTOSO, REDIRECT, make_tenant, request_token

ERROR_KEYS = {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}


def _msal_app(
    server: SimServer, client_id: str, credential: object, tenant: str = CONTOSO
) -> msal.ConfidentialClientApplication:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the simulator's CA
    session.verify = str(server.ca_cert_path)
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{server.authority_host}/{tenant}",
        instance_discovery=False,
        http_client=session,
    )


def test_secret_grants_a_bearer_token(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    response = request_token(client, server, secret_app[0].client_id, secret_app[1])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert len(body["access_token"]) > 30


def test_domain_addresses_the_tenant_too(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    response = request_token(client, server, secret_app[0].client_id, secret_app[1], tenant="contoso.onmicrosoft.com")
    assert response.status_code == 200


def test_wrong_secret_is_invalid_client_401(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    response = request_token(client, server, secret_app[0].client_id, "not-the-secret")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: ")


def test_revoked_consent_is_unauthorized_client_700016(
    client: httpx.Client, server: SimServer, state: SimState, secret_app: tuple[ServiceApp, str]
) -> None:
    state.revoke_consent(CONTOSO)
    response = request_token(client, server, secret_app[0].client_id, secret_app[1])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "unauthorized_client" and body["error_codes"] == [700016]
    assert body["error_description"].startswith(
        f"AADSTS700016: Application with identifier '{secret_app[0].client_id}' was not found in the directory "
        f"'{CONTOSO}'"
    )


def test_unknown_client_id_is_700016(client: httpx.Client, server: SimServer) -> None:
    response = request_token(client, server, str(uuid.uuid4()), "whatever")
    assert (response.status_code, response.json()["error_codes"]) == (400, [700016])


def test_disabled_app_is_7000112(
    client: httpx.Client, server: SimServer, state: SimState, secret_app: tuple[ServiceApp, str]
) -> None:
    state.disable_app(CONTOSO)
    response = request_token(client, server, secret_app[0].client_id, secret_app[1])
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (400, "unauthorized_client", [7000112])


def test_unknown_tenant_metadata_is_invalid_tenant_90002(client: httpx.Client, server: SimServer) -> None:
    response = client.get(f"{server.authority_host}/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.onmicrosoft.com' not found")


def test_metadata_names_the_tenant_guid(client: httpx.Client, server: SimServer) -> None:
    body = client.get(f"{server.authority_host}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration").json()
    assert body["token_endpoint"] == f"{server.authority_host}/{CONTOSO}/oauth2/v2.0/token"
    assert body["issuer"] == f"{server.authority_host}/{CONTOSO}/v2.0"


def test_unknown_resource_is_500011(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> None:
    response = client.post(
        f"{server.authority_host}/{CONTOSO}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": secret_app[0].client_id,
            "client_secret": secret_app[1],
            "scope": "https://unknown.example/.default",
        },
    )
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (400, "invalid_resource", [500011])


def test_missing_scope_is_900144(client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]) -> None:
    response = client.post(
        f"{server.authority_host}/{CONTOSO}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": secret_app[0].client_id, "client_secret": secret_app[1]},
    )
    assert (response.status_code, response.json()["error_codes"]) == (400, [900144])


@pytest.fixture
def cert_server() -> Iterator[tuple[SimServer, ServiceApp, str]]:
    app, pem = ServiceApp.with_certificate(redirect_uris=[REDIRECT], required_permissions=ALL_PERMISSIONS)
    server = SimServer(SimState(app, [make_tenant()])).start()
    yield server, app, pem
    server.stop()


def test_msal_certificate_assertion_is_accepted(cert_server: tuple[SimServer, ServiceApp, str]) -> None:
    server, app, pem = cert_server
    # PS256 with x5t#S256 (MSAL's choice when it has the certificate) ...
    result = _msal_app(server, app.client_id, {"private_key": pem, "public_certificate": pem}).acquire_token_for_client(
        [f"{server.graph_url}/.default"]
    )
    assert result.get("token_type") == "Bearer", result
    # ... and RS256 with x5t (from a SHA-1 thumbprint).
    thumbprints = app.thumbprints()
    assert thumbprints is not None
    result = _msal_app(
        server, app.client_id, {"private_key": pem, "thumbprint": thumbprints[0]}
    ).acquire_token_for_client([f"{server.graph_url}/.default"])
    assert result.get("token_type") == "Bearer", result


def _assertion(server: SimServer, app: ServiceApp, key: object, **claims: object) -> str:
    thumbprints = app.thumbprints()
    assert thumbprints is not None
    now = int(time.time())
    payload = {
        "aud": f"{server.authority_host}/{CONTOSO}/oauth2/v2.0/token",
        "iss": app.client_id,
        "sub": app.client_id,
        "exp": now + 600,
        "nbf": now,
        "jti": str(uuid.uuid4()),
        **claims,
    }

    x5t = base64.urlsafe_b64encode(bytes.fromhex(thumbprints[0])).decode()
    return jwt.encode(payload, key, algorithm="RS256", headers={"x5t": x5t})  # type: ignore[arg-type]


def _post_assertion(server: SimServer, app: ServiceApp, assertion: str) -> httpx.Response:
    with httpx.Client(verify=server.ssl_context()) as http:
        return http.post(
            f"{server.authority_host}/{CONTOSO}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "scope": f"{server.graph_url}/.default",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )


def test_assertion_signed_by_another_key_is_700027(cert_server: tuple[SimServer, ServiceApp, str]) -> None:
    server, app, pem = cert_server
    own_key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert _post_assertion(server, app, _assertion(server, app, own_key)).status_code == 200
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = _post_assertion(server, app, _assertion(server, app, other_key))
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (401, "invalid_client", [700027])


def test_assertion_for_another_audience_is_refused(cert_server: tuple[SimServer, ServiceApp, str]) -> None:
    server, app, pem = cert_server
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    response = _post_assertion(server, app, _assertion(server, app, key, aud="https://elsewhere/token"))
    assert (response.status_code, response.json()["error_codes"]) == (401, [700027])


def test_expired_assertion_is_refused(cert_server: tuple[SimServer, ServiceApp, str]) -> None:
    server, app, pem = cert_server
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    response = _post_assertion(server, app, _assertion(server, app, key, exp=int(time.time()) - 3600))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_revocation_invalidates_issued_tokens(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for()
    assert client.get(f"{server.graph_url}/v1.0/organization", headers=headers).status_code == 200
    state.revoke_consent(CONTOSO)
    response = client.get(f"{server.graph_url}/v1.0/organization", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
