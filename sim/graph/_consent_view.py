"""What Graph says about the service app's consent in a tenant, computed from the tenant's state.

- ``/servicePrincipals(appId='{our app}')/appRoleAssignments``: one assignment per granted
  application permission, each naming the resource's service principal and the app role's id.
- ``/servicePrincipals(appId='{resource}')``: Microsoft Graph's (``00000003-…``) and Exchange Online's
  (``00000002-0000-0ff1-ce00-…``) service principals with their ``appRoles``, which map an app role
  id to a permission name.

App role ids here are uuid5s of the permission names: opaque, stable, and not Microsoft's real ids,
so a client that hard-codes Microsoft's ids instead of reading ``appRoles`` fails against the
simulator, as it would the day Microsoft adds a role it does not know.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["EXCHANGE_APP_ID", "GRAPH_APP_ID", "app_role_assignments", "resource_service_principal"]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
_RESOURCES = {GRAPH_APP_ID: "Microsoft Graph", EXCHANGE_APP_ID: "Office 365 Exchange Online"}
_EXCHANGE_PERMISSIONS = frozenset({"Exchange.ManageAsApp"})
_NAMESPACE = uuid.UUID("5b3c0c52-4b0e-4d55-9d40-9c1b1c6f0d11")


def _object_id(tenant_id: str, what: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}:{what}"))


def _role_id(permission: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"role:{permission}"))


def _resource_of(permission: str) -> str:
    return EXCHANGE_APP_ID if permission in _EXCHANGE_PERMISSIONS else GRAPH_APP_ID


def app_role_assignments(tenant_id: str, client_id: str, app_name: str, granted: set[str]) -> list[dict[str, Any]]:
    """The service app's app role assignments in the tenant (one per granted permission)."""
    principal = _object_id(tenant_id, f"sp:{client_id}")
    return [{
        "id": _object_id(tenant_id, f"assignment:{name}"), "appRoleId": _role_id(name),
        "createdDateTime": "2026-01-01T00:00:00Z", "principalDisplayName": app_name, "principalId": principal,
        "principalType": "ServicePrincipal", "resourceDisplayName": _RESOURCES[_resource_of(name)],
        "resourceId": _object_id(tenant_id, f"sp:{_resource_of(name)}")}
        for name in sorted(granted)]


def resource_service_principal(tenant_id: str, app_id: str, known: set[str]) -> dict[str, Any] | None:
    """Graph's or Exchange's service principal in the tenant, with an app role for each known permission."""
    if app_id not in _RESOURCES:
        return None
    roles = sorted(p for p in known if _resource_of(p) == app_id)
    return {"id": _object_id(tenant_id, f"sp:{app_id}"), "appId": app_id, "displayName": _RESOURCES[app_id],
            "appRoles": [{"id": _role_id(p), "value": p, "displayName": p, "allowedMemberTypes": ["Application"],
                          "isEnabled": True, "description": p, "origin": "Application"} for p in roles]}
