"""What the simulator serves over HTTP has the shapes of Microsoft's documented responses.

For every body in tests/fixtures/graph that comes from Microsoft's docs, the same request is sent
to the simulator and each property the doc example shows must be there with a value of the same
JSON type (null in the doc matches anything; the simulator may send more properties).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.integration.conftest import World

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
#: The doc examples (copied from ../shared/graph-examples), by file name, with the request to send.
EXAMPLES = {
    "identity-conditionalaccess-policies": "/identity/conditionalAccess/policies",
    "security-securescores": "/security/secureScores?$top=1",
    "security-securescorecontrolprofiles": "/security/secureScoreControlProfiles",
    "policies-adminconsentrequestpolicy": "/policies/adminConsentRequestPolicy",
    "subscribedskus": "/subscribedSkus",
    "policies-deviceregistrationpolicy": "/policies/deviceRegistrationPolicy",
    "policies-defaultappmanagementpolicy": "/policies/defaultAppManagementPolicy",
    "users": "/users?$select=displayName,signInActivity",
    "policies-authorizationpolicy": "/policies/authorizationPolicy",
    "policies-authenticationmethodspolicy": "/policies/authenticationMethodsPolicy",
    "policies-identitysecuritydefaultsenforcementpolicy": "/policies/identitySecurityDefaultsEnforcementPolicy",
    "domains": "/domains",
    "rolemanagement-directory-roleassignments": "/roleManagement/directory/roleAssignments?$expand=principal",
    "policies-rolemanagementpolicyassignments":
        "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'"
        "&$expand=policy($expand=rules)",
    "admin-sharepoint-settings": "/admin/sharepoint/settings",
    "reports-authenticationmethods-userregistrationdetails": "/reports/authenticationMethods/userRegistrationDetails",
}
#: The SharePoint doc example wraps the entity in "value", unusual for a singleton; the simulator serves
#: the entity itself (as msgraph-sdk reads it, checks.md Appendix B item 1). The scanner accepts both.
_UNWRAPPED = {"admin-sharepoint-settings"}
# Known, deliberate differences (each says why).
_DOC_PLACEHOLDERS = {
    # The doc example for /domains uses placeholder strings; real values are enums ("Managed").
    ("domains", "authenticationType"), ("domains", "availabilityStatus"),
}


def _mismatches(doc: Any, got: Any, where: str, example: str) -> list[str]:
    if doc is None or (got is None and not isinstance(doc, (dict, list))):
        # Documented nulls match anything; Graph's string and number properties are nullable.
        return []
    if isinstance(doc, dict):
        if not isinstance(got, dict):
            return [f"{where}: expected an object, got {type(got).__name__}"]
        if "@odata.type" in doc and got.get("@odata.type") != doc["@odata.type"]:
            return []  # another subtype of a polymorphic property (no... vs enumerated...Membership)
        problems = []
        for key, value in doc.items():
            if key.startswith("@odata.") and key != "@odata.type":
                continue
            if (example, key) in _DOC_PLACEHOLDERS:
                continue
            if key not in got:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += _mismatches(value, got[key], f"{where}.{key}", example)
        return problems
    if isinstance(doc, list):
        if not isinstance(got, list):
            return [f"{where}: expected a list"]
        if doc and got and isinstance(doc[0], dict):
            # Compare the first documented item with every served item that has the same type.
            kind = doc[0].get("@odata.type")
            same = [g for g in got if not kind or g.get("@odata.type") == kind] or got
            return _mismatches(doc[0], same[0], f"{where}[0]", example)
        return []
    if isinstance(doc, bool) or isinstance(got, bool):
        return [] if isinstance(doc, bool) == isinstance(got, bool) else [f"{where}: bool vs {got!r}"]
    if isinstance(doc, (int, float)):
        return [] if isinstance(got, (int, float)) else [f"{where}: number vs {got!r}"]
    return [] if isinstance(got, type(doc)) else [f"{where}: {type(doc).__name__} vs {got!r}"]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_served_body_has_the_documented_shape(world: World, example: str):
    doc = json.loads((DOCS / f"{example}.json").read_text())["response"]
    if example in _UNWRAPPED:
        doc = doc["value"]
    with httpx.Client(verify=world.server.ssl_context(), trust_env=False) as client:
        token = _token(client, world)
        reply = client.get(f"{world.server.graph_url}/v1.0{EXAMPLES[example]}",
                           headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    assert _mismatches(doc, reply.json(), "$", example) == []


def _token(client: httpx.Client, world: World) -> str:
    """A Graph token for the secure tenant, asked for with a certificate assertion as MSAL sends it."""
    tenant = world.tenants["secure"].id
    url = f"{world.server.authority_host}/{tenant}/oauth2/v2.0/token"
    pem = world.private_pem
    key = serialization.load_pem_private_key(pem, password=None)
    cert = x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE"):])
    x5t = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).rstrip(b"=").decode()
    now = dt.datetime.now(dt.UTC)
    assertion = jwt.encode({"aud": url, "iss": world.state.app.client_id, "sub": world.state.app.client_id,
                            "jti": str(uuid.uuid4()), "nbf": now, "exp": now + dt.timedelta(minutes=5)},
                           key, algorithm="RS256", headers={"x5t": x5t})
    reply = client.post(url, data={
        "grant_type": "client_credentials", "client_id": world.state.app.client_id,
        "scope": f"{world.server.graph_url}/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    })
    reply.raise_for_status()
    return reply.json()["access_token"]
