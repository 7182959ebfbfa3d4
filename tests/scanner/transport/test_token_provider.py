"""TokenProvider (MSAL) against a fake identity service mounted as a requests adapter."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import urllib.parse
from typing import Any

import jwt
import pytest
import requests
import requests.adapters
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from scanner import _auth as scanner_auth
from scanner._auth import AppCredentials, Endpoints, TokenProvider, classify_token_error
from scanner._errors import (
    AuthError,
    ConsentMissing,
    CredentialInvalid,
    TenantNotFound,
    TransientAuthError,
)
from scanner._transport import RequestStats

AUTHORITY = "https://login.test"
GRAPH = "https://graph.test"
SECRET = "s3cret-value"
TENANT = "contoso.example"


def token_error(status: int, error: str, code: int, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code]}


class FakeIdentity(requests.adapters.BaseAdapter):
    """OIDC discovery and a token endpoint; ``token_replies``/``discovery_replies`` override in order."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []
        self.token_replies: list[tuple[int, Any]] = []
        self.discovery_replies: list[tuple[int, Any]] = []
        self.fail_connections = 0
        self.issued = 0
        self.retry_after: str | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        if self.fail_connections:
            self.fail_connections -= 1
            raise requests.ConnectionError("connection reset")
        url = str(request.url)
        if url.endswith("/.well-known/openid-configuration"):
            base = url.split("/v2.0/")[0]
            status, body = self.discovery_replies.pop(0) if self.discovery_replies else (200, {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
            })
        elif self.token_replies:
            status, body = self.token_replies.pop(0)
        else:
            self.issued += 1
            status, body = 200, {"access_token": f"tok-{self.issued}", "expires_in": 3599, "token_type": "Bearer"}
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        if status >= 400 and self.retry_after is not None:
            response.headers["Retry-After"] = self.retry_after
        response.url = url
        response.request = request
        return response

    def close(self) -> None:
        pass

    def token_requests(self) -> list[dict[str, str]]:
        return [dict(urllib.parse.parse_qsl(str(r.body))) for r in self.sent if str(r.url).endswith("/token")]


@pytest.fixture
def identity() -> FakeIdentity:
    return FakeIdentity()


def provider(identity: FakeIdentity, credentials: AppCredentials | None = None, **kwargs: Any) -> TokenProvider:
    credentials = credentials or AppCredentials("client-id", client_secret=SECRET)
    return TokenProvider(credentials, Endpoints(authority_host=AUTHORITY, graph_url=GRAPH), adapter=identity,
                         backoff_s=0.01, **kwargs)


async def test_reuses_the_tenants_app_and_its_cache(identity: FakeIdentity):
    tokens = provider(identity)
    stats = RequestStats()
    assert await tokens.token(TENANT, GRAPH, stats=stats) == "tok-1"
    assert stats.requests == 2  # discovery and token
    assert await tokens.token(TENANT, GRAPH + "/", stats=stats) == "tok-1"
    assert stats.requests == 2 and len(identity.sent) == 2
    assert [str(r.url) for r in identity.sent] == [
        f"{AUTHORITY}/{TENANT}/v2.0/.well-known/openid-configuration",
        f"{AUTHORITY}/{TENANT}/oauth2/v2.0/token",
    ]
    sent = identity.token_requests()[0]
    assert sent["grant_type"] == "client_credentials"
    assert sent["scope"] == f"{GRAPH}/.default"


async def test_each_tenant_gets_its_own_app_and_a_new_resource_its_own_token(identity: FakeIdentity):
    tokens = provider(identity)
    await tokens.token("tenant-a", GRAPH)
    await tokens.token("tenant-b", GRAPH)
    await tokens.token("tenant-a", "https://exchange.test")
    await tokens.token("tenant-a", GRAPH)
    discoveries = [str(r.url) for r in identity.sent if "openid" in str(r.url)]
    assert len(discoveries) == 2
    assert [t["scope"] for t in identity.token_requests()] == [
        f"{GRAPH}/.default", f"{GRAPH}/.default", "https://exchange.test/.default"]


async def test_force_refresh_asks_for_a_new_token(identity: FakeIdentity):
    tokens = provider(identity)
    assert await tokens.token(TENANT, GRAPH) == "tok-1"
    assert await tokens.token(TENANT, GRAPH, force_refresh=True) == "tok-2"
    assert await tokens.token(TENANT, GRAPH) == "tok-2"


async def test_a_fresh_token_is_reused_without_asking_msal_again(identity: FakeIdentity,
                                                                 monkeypatch: pytest.MonkeyPatch):
    tokens = provider(identity)
    assert await tokens.token(TENANT, GRAPH) == "tok-1"
    asked: list[str] = []
    blocking = tokens._token_blocking
    monkeypatch.setattr(tokens, "_token_blocking", lambda tenant, scope, *rest: asked.append(scope) or blocking(
        tenant, scope, *rest))
    assert await tokens.token(TENANT, GRAPH) == "tok-1"
    assert asked == []  # no thread hop, no MSAL call
    assert await tokens.token(TENANT, "https://exchange.test") == "tok-2"  # another resource: MSAL
    assert asked == ["https://exchange.test/.default"]


async def test_a_token_is_reused_only_until_msal_would_refresh_it(identity: FakeIdentity,
                                                                 monkeypatch: pytest.MonkeyPatch):
    identity.token_replies = [(200, {"access_token": "short", "expires_in": 200, "token_type": "Bearer"}),
                              (200, {"access_token": "hinted", "expires_in": 3599, "refresh_in": 600,
                                     "token_type": "Bearer"})]
    tokens = provider(identity)
    # 200 s left is inside MSAL's five-minute margin: not kept, and MSAL itself asks for a new one.
    assert await tokens.token(TENANT, GRAPH) == "short"
    assert await tokens.token(TENANT, GRAPH) == "hinted"
    assert len(identity.token_requests()) == 2
    now = scanner_auth.time.monotonic()
    monkeypatch.setattr(scanner_auth.time, "monotonic", lambda: now + 599)
    assert await tokens.token(TENANT, GRAPH) == "hinted" and len(identity.token_requests()) == 2
    # Past its refresh_in the fast path lets go and MSAL decides (here: its cache still holds it).
    asked: list[str] = []
    blocking = tokens._token_blocking
    monkeypatch.setattr(tokens, "_token_blocking", lambda tenant, scope, *rest: asked.append(scope) or blocking(
        tenant, scope, *rest))
    monkeypatch.setattr(scanner_auth.time, "monotonic", lambda: now + 601)
    await tokens.token(TENANT, GRAPH)
    assert asked == [f"{GRAPH}/.default"]


async def test_least_recently_used_tenants_are_dropped(identity: FakeIdentity):
    tokens = provider(identity, max_tenants=1)
    await tokens.token("tenant-a", GRAPH)
    await tokens.token("tenant-b", GRAPH)
    await tokens.token("tenant-a", GRAPH)
    assert sum(1 for r in identity.sent if "openid" in str(r.url)) == 3


async def test_never_calls_microsoft_for_another_authority_host(identity: FakeIdentity):
    await provider(identity).token(TENANT, GRAPH)
    assert {urllib.parse.urlsplit(str(r.url)).hostname for r in identity.sent} == {"login.test"}


@pytest.mark.parametrize(("reply", "expected", "reason"), [
    (token_error(400, "unauthorized_client", 700016, "Application with identifier 'x' was not found in the "
                 "directory 'contoso'."), ConsentMissing, "consent_missing"),
    (token_error(400, "unauthorized_client", 7000112, "Application 'x' is disabled."), ConsentMissing,
     "consent_missing"),
    (token_error(401, "invalid_client", 7000215, "Invalid client secret provided."), CredentialInvalid,
     "credential_invalid"),
    (token_error(400, "invalid_request", 90002, f"Tenant '{TENANT}' not found."), TenantNotFound,
     "tenant_not_found"),
    ((503, b"<html>Service Unavailable</html>"), TransientAuthError, "auth_unavailable"),
    (token_error(429, "temporarily_unavailable", 50196, "Too many requests."), TransientAuthError,
     "auth_unavailable"),
    (token_error(400, "invalid_request", 53003, "Blocked by Conditional Access."), AuthError,
     "auth_error:invalid_request"),
])
async def test_token_failures_are_classified(identity: FakeIdentity, reply: Any, expected: type, reason: str):
    identity.token_replies += [reply] * 3  # transient failures are retried twice
    with pytest.raises(AuthError) as caught:
        await provider(identity).token(TENANT, GRAPH)
    assert type(caught.value) is expected
    assert caught.value.reason == reason
    assert caught.value.tenant_id == TENANT
    assert TENANT in str(caught.value)


async def test_a_tenant_unknown_at_discovery_is_not_found(identity: FakeIdentity):
    identity.discovery_replies.append(token_error(400, "invalid_tenant", 90002, f"Tenant '{TENANT}' not found."))
    with pytest.raises(TenantNotFound):
        await provider(identity).token(TENANT, GRAPH)


async def test_a_failed_discovery_is_retried_and_tried_again_on_the_next_call(identity: FakeIdentity):
    identity.discovery_replies.append((503, b"busy"))
    stats = RequestStats()
    tokens = provider(identity)
    assert await tokens.token(TENANT, GRAPH, stats=stats) == "tok-1"
    assert (stats.requests, stats.retries) == (3, 1)

    identity.discovery_replies += [(500, b"oops")] * 3
    with pytest.raises(TransientAuthError):
        await tokens.token("other", GRAPH)
    assert await tokens.token("other", GRAPH) == "tok-2"


async def test_a_long_retry_after_is_not_waited_out(identity: FakeIdentity):
    identity.token_replies.append((429, {"error": "temporarily_unavailable", "error_codes": [50196]}))
    identity.retry_after = "120"
    with pytest.raises(TransientAuthError) as caught:
        await provider(identity).token(TENANT, GRAPH)
    assert caught.value.retry_after_s == 120
    assert len(identity.token_requests()) == 1


async def test_dropped_connections_are_retried_then_reported_as_transient(identity: FakeIdentity):
    identity.fail_connections = 1
    stats = RequestStats()
    assert await provider(identity).token(TENANT, GRAPH, stats=stats) == "tok-1"
    assert (stats.requests, stats.retries) == (3, 1)

    identity.fail_connections = 10
    with pytest.raises(TransientAuthError):
        await provider(identity).token("other", GRAPH)


async def test_logs_and_reprs_hold_no_secret_or_token(identity: FakeIdentity, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    credentials = AppCredentials("client-id", client_secret=SECRET)
    tokens = provider(identity, credentials)
    await tokens.token(TENANT, GRAPH)
    identity.token_replies.append(token_error(401, "invalid_client", 7000215, "Invalid client secret provided."))
    with pytest.raises(CredentialInvalid) as caught:
        await tokens.token(TENANT, GRAPH, force_refresh=True)
    for text in (caplog.text, repr(credentials), str(caught.value), repr(caught.value)):
        assert SECRET not in text and "tok-1" not in text


@pytest.fixture(scope="module")
def certificate() -> trustme.LeafCert:
    return trustme.CA(key_type=trustme.KeyType.RSA).issue_cert("posture-scanner", key_type=trustme.KeyType.RSA)


async def test_a_certificate_signs_the_client_assertion(identity: FakeIdentity, certificate: trustme.LeafCert):
    pem = certificate.private_key_pem.bytes() + certificate.cert_chain_pems[0].bytes()
    credentials = AppCredentials("client-id", certificate_pem=pem)
    cert = x509.load_pem_x509_certificate(certificate.cert_chain_pems[0].bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    assert credentials.thumbprint == hashlib.sha1(der).hexdigest().upper()
    assert credentials.certificate_expires_at == cert.not_valid_after_utc
    assert "PRIVATE" not in repr(credentials)

    await provider(identity, credentials).token(TENANT, GRAPH)
    sent = identity.token_requests()[0]
    assert "client_secret" not in sent
    assertion = sent["client_assertion"]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256"
    x5t = header["x5t"]
    assert base64.urlsafe_b64decode(x5t + "=" * (-len(x5t) % 4)) == hashlib.sha1(der).digest()
    claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256"],
                        audience=f"{AUTHORITY}/{TENANT}/oauth2/v2.0/token")
    assert claims["iss"] == claims["sub"] == "client-id"


async def test_the_key_is_read_once_not_for_every_tenants_assertion(identity: FakeIdentity,
                                                                    certificate: trustme.LeafCert,
                                                                    monkeypatch: pytest.MonkeyPatch):
    """PyJWT parses a PEM key on every signature (a third of a worker's CPU over a thousand tenants): the
    credential hands MSAL the loaded key instead, so signing for a new tenant parses nothing."""
    credentials = AppCredentials("client-id", certificate_pem=certificate.private_key_pem.bytes()
                                 + certificate.cert_chain_pems[0].bytes())
    parsed = []
    real = jwt.algorithms.load_pem_private_key  # type: ignore[attr-defined]
    monkeypatch.setattr(jwt.algorithms, "load_pem_private_key", lambda *a, **k: parsed.append(1) or real(*a, **k))
    tokens = provider(identity, credentials)
    for tenant in (TENANT, "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"):
        await tokens.token(tenant, GRAPH)
    assert len(identity.token_requests()) == 3 and parsed == []


def test_an_encrypted_key_needs_its_passphrase(certificate: trustme.LeafCert):
    key = serialization.load_pem_private_key(certificate.private_key_pem.bytes(), None)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"open sesame"))
    pem = certificate.cert_chain_pems[0].bytes() + encrypted
    assert AppCredentials("client-id", certificate_pem=pem, passphrase="open sesame").thumbprint
    with pytest.raises(CredentialInvalid):
        AppCredentials("client-id", certificate_pem=pem)


def test_unusable_certificates_are_refused(certificate: trustme.LeafCert):
    other = trustme.CA(key_type=trustme.KeyType.RSA).issue_cert("x", key_type=trustme.KeyType.RSA)
    ec = trustme.CA().issue_cert("x")
    cases = {
        b"not a pem": "private key",
        certificate.private_key_pem.bytes(): "no PEM certificate",
        certificate.private_key_pem.bytes() + other.cert_chain_pems[0].bytes(): "matches",
        ec.private_key_pem.bytes() + ec.cert_chain_pems[0].bytes(): "RSA",
    }
    for pem, why in cases.items():
        with pytest.raises(CredentialInvalid, match=why):
            AppCredentials("client-id", certificate_pem=pem)


def test_credentials_need_exactly_one_secret_or_certificate():
    with pytest.raises(ValueError):
        AppCredentials("client-id")
    with pytest.raises(ValueError):
        AppCredentials("client-id", client_secret="a", certificate_pem=b"b")


async def test_refuses_tenantless_authorities(identity: FakeIdentity):
    with pytest.raises(ValueError):
        await provider(identity).token("common", GRAPH)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"status": 400, "error": "invalid_grant", "error_codes": [65001]}, ConsentMissing),
    ({"status": 400, "error": "invalid_tenant"}, TenantNotFound),
    ({"status": 400, "error": "invalid_request", "description": f"AADSTS900023: Specified tenant identifier "
      f"'{TENANT}' is neither a valid DNS name, nor a valid external domain."}, TenantNotFound),
    ({"status": 400, "error": "invalid_request", "description": "AADSTS900144: missing scope"}, AuthError),
    ({"status": None, "error": "unauthorized_client"}, ConsentMissing),
    ({"status": 502, "error": None}, TransientAuthError),
])
def test_classification_keys_on_error_and_status(kwargs: dict[str, Any], expected: type):
    assert type(classify_token_error(TENANT, **kwargs)) is expected
