"""Fixtures for simulator tests: small hand-built tenants, a running ``SimServer``, token helpers.

Tenants are built here by hand (not with ``sim.profiles``) so these tests pin the HTTP layer alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sim import FaultConfig, ServiceApp, SimServer, SimState, Tenant

CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
REDIRECT = "https://portal.test/onboarding/callback"
GA_ROLE = "62e90394-69f5-4237-9190-012177145e10"

#: Every permission the scanner's collections name, plus Exchange.
ALL_PERMISSIONS = frozenset(
    {
        "Organization.Read.All",
        "Domain.Read.All",
        "Policy.Read.All",
        "Policy.Read.DeviceConfiguration",
        "GroupSettings.Read.All",
        "RoleManagement.Read.Directory",
        "GroupMember.Read.All",
        "RoleAssignmentSchedule.Read.Directory",
        "RoleEligibilitySchedule.Read.Directory",
        "RoleManagementPolicy.Read.Directory",
        "RoleManagementPolicy.Read.AzureADGroup",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "User.Read.All",
        "AuditLog.Read.All",
        "Application.Read.All",
        "OnPremDirectorySynchronization.Read.All",
        "SharePointTenantSettings.Read.All",
        "DeviceManagementConfiguration.Read.All",
        "DeviceManagementManagedDevices.Read.All",
        "SecurityEvents.Read.All",
        "Exchange.ManageAsApp",
    }
)


def make_users(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "displayName": f"User {i}",
            "userPrincipalName": f"user{i}@contoso.com",
            "accountEnabled": i % 7 != 0,
            "userType": "Guest" if i % 10 == 0 else "Member",
            "createdDateTime": "2024-01-01T00:00:00Z",
            "assignedLicenses": [],
            "onPremisesSyncEnabled": None,
            "signInActivity": {"lastSignInDateTime": "2026-10-01T00:00:00Z"},
        }
        for i in range(n)
    ]


def make_tenant(
    tenant_id: str = CONTOSO,
    domain: str = "contoso.onmicrosoft.com",
    *,
    users: int = 5,
    plans: set[str] | None = None,
    consent: str = "granted",
) -> Tenant:
    group_id = "33333333-3333-4333-8333-333333333333"
    tenant = Tenant(
        id=tenant_id,
        display_name=domain.split(".")[0].title(),
        default_domain=domain,
        profile="test",
        consent=consent,  # type: ignore[arg-type]
        granted_permissions=set(ALL_PERMISSIONS) if consent == "granted" else set(),
        service_plans={"AAD_PREMIUM", "AAD_PREMIUM_P2"} if plans is None else plans,
    )
    tenant.graph = {
        "/organization": [
            {
                "id": tenant_id,
                "displayName": tenant.display_name,
                "verifiedDomains": [],
                "onPremisesSyncEnabled": None,
                "city": "Seattle",
            }
        ],
        "/subscribedSkus": [{"skuId": "sku-1", "skuPartNumber": "SPB", "servicePlans": []}],
        "/users": make_users(users),
        "/policies/authorizationPolicy": {
            "id": "authorizationPolicy",
            "allowInvitesFrom": "everyone",
            "defaultUserRolePermissions": {"allowedToCreateApps": True},
        },
        "/admin/sharepoint/settings": {"sharingCapability": "externalUserAndGuestSharing"},
        "/roleManagement/directory/roleAssignments": [
            {
                "id": "ra-1",
                "principalId": "u-admin",
                "roleDefinitionId": GA_ROLE,
                "directoryScopeId": "/",
                "principal": {"@odata.type": "#microsoft.graph.user", "id": "u-admin", "displayName": "Admin"},
            },
            {
                "id": "ra-2",
                "principalId": group_id,
                "roleDefinitionId": GA_ROLE,
                "directoryScopeId": "/",
                "principal": {"@odata.type": "#microsoft.graph.group", "id": group_id, "displayName": "Admins"},
            },
        ],
        f"/groups/{group_id}/transitiveMembers": [
            {
                "@odata.type": "#microsoft.graph.user",
                "id": "u-1",
                "displayName": "Member",
                "userPrincipalName": "m@x",
                "userType": "Member",
                "accountEnabled": True,
                "mail": "m@x",
            },
            {"@odata.type": "#microsoft.graph.group", "id": "g-2", "displayName": "Nested"},
        ],
        "/policies/roleManagementPolicyAssignments": [
            {
                "id": "a-1",
                "policyId": "p-1",
                "scopeId": "/",
                "scopeType": "DirectoryRole",
                "roleDefinitionId": GA_ROLE,
                "policy": {
                    "id": "p-1",
                    "displayName": "DirectoryRole",
                    "rules": [{"id": "Expiration_Admin_Eligibility"}],
                },
            },
            {
                "id": "a-2",
                "policyId": "p-2",
                "scopeId": "/x",
                "scopeType": "Directory",
                "roleDefinitionId": GA_ROLE,
                "policy": {"id": "p-2", "displayName": "Other", "rules": []},
            },
        ],
        "/deviceManagement/deviceCompliancePolicies": [
            {
                "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
                "id": "c-1",
                "displayName": "Win",
                "assignments": [
                    {"id": "as-1", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}
                ],
            },
        ],
    }
    tenant.exchange = {"Get-TransportConfig": [{"SmtpClientAuthenticationDisabled": False}]}
    tenant.expected = {"entra.authz.no_user_app_registration": "fail"}
    return tenant


@pytest.fixture
def secret_app() -> tuple[ServiceApp, str]:
    return ServiceApp.with_secret(redirect_uris=[REDIRECT], required_permissions=ALL_PERMISSIONS)


@pytest.fixture
def state(secret_app: tuple[ServiceApp, str]) -> SimState:
    return SimState(secret_app[0], [make_tenant(), make_tenant(FABRIKAM, "fabrikam.onmicrosoft.com")])


@pytest.fixture
def server(state: SimState) -> Iterator[SimServer]:
    with SimServer(state) as running:
        yield running


@pytest.fixture
def client(server: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(verify=server.ssl_context(), timeout=10) as http:
        yield http


def request_token(
    client: httpx.Client, server: SimServer, client_id: str, secret: str, tenant: str = CONTOSO, resource: str = "graph"
) -> httpx.Response:
    scope = f"{server.graph_url if resource == 'graph' else server.exchange_url}/.default"
    return client.post(
        f"{server.authority_host}/{tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope},
    )


@pytest.fixture
def token_for(
    client: httpx.Client, server: SimServer, secret_app: tuple[ServiceApp, str]
) -> Callable[..., dict[str, str]]:
    """Headers with a fresh bearer token for a tenant and resource ("graph" or "exchange")."""

    def issue(tenant: str = CONTOSO, resource: str = "graph") -> dict[str, str]:
        response = request_token(client, server, secret_app[0].client_id, secret_app[1], tenant, resource)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return issue


@pytest.fixture
def set_faults(state: SimState) -> Callable[..., None]:
    def apply(**settings: Any) -> None:
        state.set_faults(FaultConfig(**settings))

    return apply
