"""The routing table: every Graph v1.0 endpoint the simulator serves, in one place.

Each ``Route`` says which application permissions grant it (any one of them), whether it is a
collection (paged) or an entity, its page sizes, the licence it needs, its navigation properties
(removed unless ``$expand`` names them) and its default property set. It covers every request in
``scanner/collections.py`` (read, not imported: ``sim`` depends on nothing of ours).

Decisions, and why:
- Permissions list the least-privileged application permission first, then the broader ones Graph
  also accepts (``Directory.Read.All`` for directory reads). The device registration policy takes
  only ``Policy.Read.DeviceConfiguration``, as its Graph page says.
- Licence gates answer as Graph does: reports without Entra ID P1 give 403
  ``Authentication_RequestFromNonPremiumTenantOrB2CTenant``; PIM without P2 gives 400
  ``AadPremiumLicenseRequired`` (both observed in public issue threads).
- ``/users`` without ``$select`` returns Graph's default property set only, so a client that forgets
  ``$select`` sees missing fields here as it would against Microsoft.
- ``/security/secureScores`` treats ``$top`` as a limit on the whole result (no nextLink): the scanner
  reads the latest score with ``$top=1`` and must not walk 90 days of history.
- Data lives in ``Tenant.graph`` under the path with this table's casing and the ids as requested.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ROUTES", "Route", "match_route"]

_DIR = "Directory.Read.All"
_DIR_RW = "Directory.ReadWrite.All"
_POLICY = ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess")
_ROLE_MGMT = ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory")
_INTUNE_CONFIG = ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All")

#: Graph's default property set for users (what GET /users returns without $select).
USER_DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                           "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id")


@dataclass(frozen=True)
class Route:
    """One endpoint. ``pattern`` may hold ``{id}`` segments.

    Attributes:
        kind: ``"collection"`` (paged OData collection) or ``"entity"`` (one object).
        licence: ``"P1"`` (Entra ID P1 or P2) or ``"P2"`` (Entra ID P2) when the endpoint needs one.
        nav: navigation properties, each with its own nested navigation properties.
        default_select: the properties returned when the client does not ``$select`` (None: all).
        required_filter: properties ``$filter`` must constrain (Graph refuses the request otherwise).
        context: the ``@odata.context`` entity set when it differs from the path.
    """

    pattern: str
    permissions: tuple[str, ...]
    kind: Literal["collection", "entity"] = "collection"
    page_default: int = 100
    page_max: int = 999
    licence: Literal["P1", "P2"] | None = None
    nav: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    default_select: tuple[str, ...] | None = None
    required_filter: tuple[str, ...] = ()
    top_is_page_size: bool = True
    context: str | None = None

    def data_key(self, params: Mapping[str, str]) -> str:
        """The ``Tenant.graph`` key for a request that matched with these path parameters."""
        key = self.pattern
        for name, value in params.items():
            key = key.replace("{" + name + "}", value)
        return key


ROUTES: tuple[Route, ...] = (
    Route("/organization", ("Organization.Read.All", _DIR, "Organization.ReadWrite.All")),
    Route("/subscribedSkus", ("Organization.Read.All", _DIR, "Organization.ReadWrite.All")),
    Route("/domains", ("Domain.Read.All", _DIR, "Domain.ReadWrite.All")),
    Route("/identity/conditionalAccess/policies", _POLICY, context="identity/conditionalAccess/policies"),
    Route("/policies/identitySecurityDefaultsEnforcementPolicy", _POLICY, kind="entity"),
    Route("/policies/authorizationPolicy", _POLICY, kind="entity"),
    Route("/policies/authenticationMethodsPolicy", _POLICY, kind="entity"),
    Route("/policies/adminConsentRequestPolicy", _POLICY, kind="entity"),
    Route("/policies/defaultAppManagementPolicy", _POLICY, kind="entity"),
    Route("/policies/appManagementPolicies", _POLICY, context="policies/appManagementPolicies"),
    Route("/policies/crossTenantAccessPolicy/default", _POLICY, kind="entity"),
    Route("/policies/activityBasedTimeoutPolicies", _POLICY),
    Route("/policies/deviceRegistrationPolicy", ("Policy.Read.DeviceConfiguration",), kind="entity"),
    Route("/groupSettings", ("GroupSettings.Read.All", _DIR, "GroupSettings.ReadWrite.All")),
    Route("/roleManagement/directory/roleAssignments", (*_ROLE_MGMT, _DIR), nav={"principal": {}}),
    Route("/roleManagement/directory/roleDefinitions", (*_ROLE_MGMT, _DIR)),
    Route("/groups", ("GroupMember.Read.All", "Group.Read.All", _DIR)),
    Route("/groups/{id}/transitiveMembers", ("GroupMember.Read.All", "Group.Read.All", _DIR),
          context="directoryObjects"),
    Route("/roleManagement/directory/roleAssignmentScheduleInstances",
          ("RoleAssignmentSchedule.Read.Directory", *_ROLE_MGMT), licence="P2", nav={"principal": {}}),
    Route("/roleManagement/directory/roleEligibilityScheduleInstances",
          ("RoleEligibilitySchedule.Read.Directory", *_ROLE_MGMT), licence="P2", nav={"principal": {}}),
    # One path for directory roles and PIM for Groups (scopeType 'Group'); each has its own permission, and
    # the simulator accepts either for both (it does not tell the two scopes apart).
    Route("/policies/roleManagementPolicyAssignments",
          ("RoleManagementPolicy.Read.Directory", "RoleManagementPolicy.Read.AzureADGroup", *_ROLE_MGMT),
          licence="P2", nav={"policy": {"rules": {}}}, required_filter=("scopeId", "scopeType")),
    Route("/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
          ("PrivilegedEligibilitySchedule.Read.AzureADGroup", "PrivilegedAccess.Read.AzureADGroup"),
          licence="P2", nav={"principal": {}, "group": {}}, required_filter=("groupId",),
          context="identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"),
    Route("/users", ("User.Read.All", "User.ReadBasic.All", _DIR, "User.ReadWrite.All", _DIR_RW),
          default_select=USER_DEFAULT_PROPERTIES),
    Route("/reports/authenticationMethods/userRegistrationDetails", ("AuditLog.Read.All",), licence="P1"),
    Route("/applications", ("Application.Read.All", _DIR, "Application.ReadWrite.All")),
    Route("/servicePrincipals", ("Application.Read.All", _DIR, "Application.ReadWrite.All")),
    # Computed from the tenant's consent state (sim/graph/_consent_view.py), not read from Tenant.graph.
    Route("/servicePrincipals(appId='{appId}')/appRoleAssignments", ("Application.Read.All", _DIR),
          context="servicePrincipals/appRoleAssignments"),
    Route("/servicePrincipals(appId='{appId}')/delegatedPermissionClassifications", ("Application.Read.All", _DIR),
          context="servicePrincipals/delegatedPermissionClassifications"),
    Route("/servicePrincipals(appId='{appId}')", ("Application.Read.All", _DIR), kind="entity",
          context="servicePrincipals"),
    # Graph documents this endpoint as "Application: Not supported": no application permission grants
    # it, so an app-only token always gets 403 Authorization_RequestDenied, as from Microsoft.
    Route("/directory/onPremisesSynchronization", ()),
    Route("/admin/sharepoint/settings", ("SharePointTenantSettings.Read.All", "SharePointTenantSettings.ReadWrite.All"),
          kind="entity"),
    Route("/deviceManagement/settings", _INTUNE_CONFIG, kind="entity"),
    Route("/deviceManagement/deviceCompliancePolicies", _INTUNE_CONFIG, nav={"assignments": {}}),
    Route("/deviceManagement/managedDevices",
          ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All")),
    Route("/security/secureScores", ("SecurityEvents.Read.All", "SecurityEvents.ReadWrite.All"),
          top_is_page_size=False),
    Route("/security/secureScoreControlProfiles", ("SecurityEvents.Read.All", "SecurityEvents.ReadWrite.All")),
)

_STATIC: dict[str, Route] = {r.pattern.lower(): r for r in ROUTES if "{" not in r.pattern}
_PATTERNS: list[tuple[re.Pattern[str], Route]] = [
    (re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(r.pattern)) + "$", re.IGNORECASE), r)
    for r in ROUTES if "{" in r.pattern
]


def match_route(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving a path (relative to ``/v1.0``, no query) and its path parameters, or None."""
    path = path.rstrip("/") or "/"
    found = _STATIC.get(path.lower())
    if found is not None:
        return found, {}
    for regex, route in _PATTERNS:
        m = regex.match(path)
        if m:
            return route, m.groupdict()
    return None
