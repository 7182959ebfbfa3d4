"""Every piece of raw data the catalogue reads, and how to ask Microsoft for it.

A check names the collections it reads (``META.collections``); the collection plan
(``scanner._plan``) fetches exactly the collections that the checks about to run need, each once.
Bulk lists ask for ``$select`` and ``$top=999`` and are kept as plain JSON (no SDK model objects:
they cost milliseconds of CPU per directory object).

``organization`` and ``subscribed_skus`` are always collected first: licences and the hybrid flag
decide which checks run at all, and so which other collections are needed.

Not collected, on purpose: ``/directory/onPremisesSynchronization`` (password hash sync, soft and hard
match blocking) is documented as "Application: Not supported", so an app-only scanner cannot read it;
the hybrid checks use what ``/organization`` says about sync instead.

Permissions are the least-privileged *application* permissions (checks.md §3.1); a 403
``Authorization_RequestDenied`` on a collection makes its checks ``error`` with reason
``insufficient_permission:<permissions>``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ALWAYS",
    "COLLECTIONS",
    "DIRECTORY",
    "GLOBAL_ADMIN_ROLE_ID",
    "PRIVILEGED_ROLE_IDS",
    "Collection",
    "DnsCollection",
    "ExchangeCollection",
    "GraphCollection",
    "GraphFanOut",
    "GraphPartitioned",
    "accepted_domain_names",
    "billing_group_members",
    "required_permissions",
    "upn_partitions",
]

#: Global Administrator role template id.
GLOBAL_ADMIN_ROLE_ID = "62e90394-69f5-4237-9190-012177145e10"

#: Highly privileged directory roles (ScubaGear's list in baselines/aad.md, plus Privileged
#: Authentication Administrator and Security Administrator from Maester's admin list).
PRIVILEGED_ROLE_IDS: Mapping[str, str] = {
    GLOBAL_ADMIN_ROLE_ID: "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
}


@dataclass(frozen=True)
class GraphCollection:
    """One Graph v1.0 GET, paged to the end when ``kind`` is ``"list"``.

    Attributes:
        path: relative to ``{graph}/v1.0``, with its query string.
        kind: ``"list"`` (an OData collection: the value is the concatenated ``value`` arrays) or
            ``"object"`` (a single entity, returned as the JSON object).
        headers: extra request headers (``Prefer: include-unknown-enum-members`` for evolvable enums).
    """

    name: str
    path: str
    permissions: tuple[str, ...]
    kind: Literal["list", "object"] = "list"
    headers: Mapping[str, str] = field(default_factory=dict)
    #: A licence gate's value (``license:entra_p2``): the data exists only on tenants with it. Elsewhere
    #: it is not requested and reads as an empty list, so an ungated check can use it where it exists.
    licence: str | None = None


@dataclass(frozen=True)
class GraphPartitioned(GraphCollection):
    """A long list read as independent page chains side by side, one per ``$filter`` partition.

    Pages are a chain (each ``@odata.nextLink`` comes from the previous page), so a long list costs one
    round trip per page however many requests may run at once. ``partitions`` cuts the list into ranges
    Graph can filter on, from what ``source`` (read earlier) says of the tenant; their chains share the
    same ``$batch`` requests. The value is exactly ``path``'s: the partitions merged, each object once,
    in ``source``'s order. When the merge does not hold every object of ``source`` (a range the service
    filtered differently, a partition refused), the list is read whole from ``path`` instead.

    Attributes:
        source: the collection the partitions are derived from (its objects carry ``id``).
        partitions: from the source's data to ``$filter`` expressions; fewer than two reads ``path`` whole.
    """

    source: str = ""
    partitions: Callable[[list[dict[str, Any]]], list[str]] = field(default=lambda _source: [])

    @property
    def sources(self) -> tuple[str, ...]:
        """What it is derived from (as for ``GraphFanOut``)."""
        return (self.source,)


@dataclass(frozen=True)
class GraphFanOut:
    """Graph GETs derived from other collections' data (for example the members of each group
    that holds a privileged role). The value is a dict from key to the list read for it.

    Attributes:
        sources: the collections read first; ``requests`` receives their data in this order.
        requests: from the sources' data to ``{key: path}``, one list request per key.
        licence: as for ``GraphCollection``; without it the value reads as an empty dict.
    """

    name: str
    sources: tuple[str, ...]
    requests: Callable[..., dict[str, str]]
    permissions: tuple[str, ...]
    licence: str | None = None


@dataclass(frozen=True)
class ExchangeCollection:
    """One cmdlet through the Exchange Online admin API (``InvokeCommand``), paged to the end.

    Needs the ``Exchange.ManageAsApp`` application permission on Office 365 Exchange Online and a
    directory role (Global Reader) assigned to the app in the customer tenant.
    """

    name: str
    cmdlet: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    permissions: tuple[str, ...] = ("Exchange.ManageAsApp",)


@dataclass(frozen=True)
class DnsCollection:
    """Public DNS TXT lookups for each domain Exchange Online accepts mail for (``scanner._dns``).

    The value maps each accepted domain (lower case) to its lookups, in the order ``names`` gives
    them: ``{"name", "records", "error"}``. DNS needs no permission.
    """

    name: str
    names: Callable[[str], list[str]]
    source: str = "exo_accepted_domains"
    permissions: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """What it is derived from (as for ``GraphFanOut``)."""
        return (self.source,)


def accepted_domain_names(accepted: list[dict[str, Any]]) -> list[str]:
    """The accepted domains' names, lower case, sorted, once each."""
    return sorted({d["DomainName"].lower() for d in accepted})


def _dmarc_names(domain: str) -> list[str]:
    # The domain's own policy, then its organisational domain's (RFC 7489 6.6.3), taken as its last two
    # labels, as ScubaGear's first provider did (see scanner/checks/exo/_mail_dns.py).
    organisational = ".".join(domain.split(".")[-2:])
    return [f"_dmarc.{domain}"] + ([f"_dmarc.{organisational}"] if organisational != domain else [])


Collection = GraphCollection | GraphPartitioned | GraphFanOut | ExchangeCollection | DnsCollection

_USER_FIELDS = (
    "id,displayName,userPrincipalName,accountEnabled,userType,onPremisesSyncEnabled,onPremisesImmutableId,"
    "createdDateTime,assignedLicenses,mail"
)
_SIGNIN_FIELDS = "id,userPrincipalName,accountEnabled,userType,createdDateTime,signInActivity"
#: Graph serves at most 120 users a page when ``signInActivity`` is selected (sim/graph/_handler.py).
SIGN_IN_PAGE = 120
#: Pages each sign-in partition should hold: 10,000 users read as 9 chains of about 10 pages, not one of 84.
PAGES_PER_PARTITION = 8
#: At most this many partitions: the chains' pages then travel in one ``$batch`` (20 requests) per round.
MAX_PARTITIONS = 16
_ALNUM_PREFIX = re.compile(r"[a-z0-9]+")


def upn_partitions(users: list[dict[str, Any]]) -> list[str]:
    """``$filter`` ranges of ``userPrincipalName`` that hold about :data:`PAGES_PER_PARTITION` sign-in pages
    each, cut at the tenant's own UPNs; none for a tenant that fits in that many pages.

    Graph documents ``ge`` and ``le`` on ``userPrincipalName`` (the user resource: "Supports $filter (eq,
    ne, not, ge, le, in, startsWith, endsWith)"), not its collation. So the ranges are ``le b1``, ``ge b1 and
    le b2``, ..., ``ge bn``, which cover every string in any total order where the boundaries ascend, and
    each boundary is lower-case letters and digits only (the leading run of a UPN), which ascend the same
    in an ordinal and a linguistic collation. The merge checks the cover anyway (``GraphPartitioned``).
    """
    names = sorted(u["userPrincipalName"].lower() for u in users
                   if isinstance(u, dict) and isinstance(u.get("userPrincipalName"), str))
    count = min(MAX_PARTITIONS, math.ceil(len(names) / (SIGN_IN_PAGE * PAGES_PER_PARTITION)))
    if count < 2:
        return []
    cuts: list[str] = []
    for i in range(1, count):
        match = _ALNUM_PREFIX.match(names[i * len(names) // count])
        if match and (not cuts or match.group() > cuts[-1]):
            cuts.append(match.group())
    if not cuts:
        return []
    ranges = [f"userPrincipalName le '{cuts[0]}'"]
    ranges += [f"userPrincipalName ge '{low}' and userPrincipalName le '{high}'"
               for low, high in itertools.pairwise(cuts)]
    return [*ranges, f"userPrincipalName ge '{cuts[-1]}'"]



_MEMBER_FIELDS = "id,displayName,userPrincipalName,userType,accountEnabled"
_GROUP_FIELDS = "id,displayName,groupTypes,mailEnabled,securityEnabled,mail"

#: What the portal reads of a tenant's directory for billing (which domains and groups an MSP may bill
#: by), in every full scan whatever the checks need: the domains, the groups, the users.
DIRECTORY = ("domains", "groups", "users")


def billing_group_members(group_ids: Iterable[str]) -> GraphFanOut:
    """The user members (transitive) of the groups an MSP bills by, among the tenant's groups: a
    collection of one scan, named ``billing_group_members`` (a group that no longer exists is skipped)."""
    wanted = sorted(set(group_ids))

    def requests(groups: list[dict[str, Any]]) -> dict[str, str]:
        present = {g.get("id") for g in groups}
        return {gid: f"/groups/{gid}/transitiveMembers?$select=id&$top=999" for gid in wanted if gid in present}

    return GraphFanOut("billing_group_members", ("groups",), requests, ("GroupMember.Read.All",))


def _role_groups(*assignment_lists: list[dict[str, Any]]) -> list[str]:
    """The groups given a highly privileged role by any of the assignments (active or eligible)."""
    return sorted({
        a["principalId"]
        for assignments in assignment_lists
        for a in assignments
        if a.get("roleDefinitionId") in PRIVILEGED_ROLE_IDS
        and (a.get("principal") or {}).get("@odata.type") == "#microsoft.graph.group"
    })


def _group_members(*assignment_lists: list[dict[str, Any]]) -> dict[str, str]:
    return {gid: f"/groups/{gid}/transitiveMembers?$select={_MEMBER_FIELDS}&$top=999"
            for gid in _role_groups(*assignment_lists)}


def _group_pim_eligibility(*assignment_lists: list[dict[str, Any]]) -> dict[str, str]:
    # Who may activate membership (or ownership) of the group through PIM for Groups.
    return {gid: f"/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
                 f"?$filter=groupId eq '{gid}'&$expand=principal"
            for gid in _role_groups(*assignment_lists)}


def _nested_in_pim_groups(eligibility: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    # Groups made eligible inside a PIM group: their members are eligible too.
    nested = {i["principalId"] for instances in eligibility.values() for i in instances
              if (i.get("principal") or {}).get("@odata.type") == "#microsoft.graph.group"}
    return {gid: f"/groups/{gid}/transitiveMembers?$select={_MEMBER_FIELDS}&$top=999" for gid in sorted(nested)}


def _group_pim_policies(*assignment_lists: list[dict[str, Any]]) -> dict[str, str]:
    # The PIM for Groups policy of group *membership* (what grants the group's roles).
    return {gid: f"/policies/roleManagementPolicyAssignments?$filter=scopeId eq '{gid}' and scopeType eq 'Group'"
                 f" and roleDefinitionId eq 'member'&$expand=policy($expand=rules)"
            for gid in _role_groups(*assignment_lists)}


_ALL: tuple[Collection, ...] = (
    # Tenant identity and licences (always collected: they gate everything else).
    GraphCollection("organization",
                    "/organization?$select=id,displayName,verifiedDomains,onPremisesSyncEnabled,onPremisesLastSyncDateTime",
                    ("Organization.Read.All",)),
    GraphCollection("subscribed_skus", "/subscribedSkus", ("Organization.Read.All",)),
    GraphCollection("domains", "/domains", ("Domain.Read.All",)),
    GraphCollection("groups", f"/groups?$select={_GROUP_FIELDS}&$top=999", ("GroupMember.Read.All",)),
    # Policies.
    GraphCollection("ca_policies", "/identity/conditionalAccess/policies", ("Policy.Read.All",),
                    headers={"Prefer": "include-unknown-enum-members"}),
    GraphCollection("security_defaults", "/policies/identitySecurityDefaultsEnforcementPolicy",
                    ("Policy.Read.All",), kind="object"),
    GraphCollection("authorization_policy", "/policies/authorizationPolicy", ("Policy.Read.All",), kind="object"),
    GraphCollection("auth_methods_policy", "/policies/authenticationMethodsPolicy", ("Policy.Read.All",),
                    kind="object"),
    GraphCollection("admin_consent_policy", "/policies/adminConsentRequestPolicy", ("Policy.Read.All",),
                    kind="object"),
    GraphCollection("app_management_policy", "/policies/defaultAppManagementPolicy", ("Policy.Read.All",),
                    kind="object"),
    GraphCollection("app_management_policies", "/policies/appManagementPolicies", ("Policy.Read.All",)),
    # Which delegated Graph permissions the tenant rates "low" (what low-risk user consent lets users grant).
    GraphCollection("graph_permission_classifications",
                    "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications",
                    ("Application.Read.All",)),
    GraphCollection("cross_tenant_default", "/policies/crossTenantAccessPolicy/default", ("Policy.Read.All",),
                    kind="object"),
    GraphCollection("activity_timeout_policies", "/policies/activityBasedTimeoutPolicies", ("Policy.Read.All",)),
    GraphCollection("device_registration_policy", "/policies/deviceRegistrationPolicy",
                    ("Policy.Read.DeviceConfiguration",), kind="object"),
    GraphCollection("group_settings", "/groupSettings", ("GroupSettings.Read.All",)),
    # Privileged roles and PIM.
    GraphCollection("role_assignments", "/roleManagement/directory/roleAssignments?$expand=principal",
                    ("RoleManagement.Read.Directory",)),
    GraphFanOut("privileged_group_members", ("role_assignments",), _group_members, ("GroupMember.Read.All",)),
    GraphCollection("role_assignment_instances", "/roleManagement/directory/roleAssignmentScheduleInstances",
                    ("RoleAssignmentSchedule.Read.Directory",)),
    # Who may activate a role through PIM: read where Entra ID P2 exists (ScubaGear counts them there).
    GraphCollection("role_eligibility_instances",
                    "/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal",
                    ("RoleEligibilitySchedule.Read.Directory",), licence="license:entra_p2"),
    # Groups eligible for a privileged role: their members are one activation away from it.
    GraphFanOut("eligible_group_members", ("role_eligibility_instances",), _group_members,
                ("GroupMember.Read.All",), licence="license:entra_p2"),
    # PIM for Groups (Entra ID P2) on every group holding a privileged role, actively or eligibly.
    GraphFanOut("group_pim_eligibility", ("role_assignments", "role_eligibility_instances"), _group_pim_eligibility,
                ("PrivilegedEligibilitySchedule.Read.AzureADGroup",), licence="license:entra_p2"),
    GraphFanOut("pim_nested_group_members", ("group_pim_eligibility",), _nested_in_pim_groups,
                ("GroupMember.Read.All",), licence="license:entra_p2"),
    GraphFanOut("group_pim_policies", ("role_assignments", "role_eligibility_instances"), _group_pim_policies,
                ("RoleManagementPolicy.Read.AzureADGroup",), licence="license:entra_p2"),
    GraphCollection("role_policy_assignments",
                    "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'"
                    "&$expand=policy($expand=rules)",
                    ("RoleManagementPolicy.Read.Directory",)),
    # Directory objects.
    GraphCollection("users", f"/users?$select={_USER_FIELDS}&$top=999", ("User.Read.All",)),
    # The longest chain of a large tenant (120 users a page): read in UPN ranges side by side.
    GraphPartitioned("users_sign_in", f"/users?$select={_SIGNIN_FIELDS}&$top=999",
                     ("User.Read.All", "AuditLog.Read.All"), source="users", partitions=upn_partitions),
    GraphCollection("registration_details", "/reports/authenticationMethods/userRegistrationDetails?$top=999",
                    ("AuditLog.Read.All",)),
    GraphCollection("applications",
                    "/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top=999",
                    ("Application.Read.All",)),
    # SharePoint, Intune, Secure Score.
    GraphCollection("sharepoint_settings", "/admin/sharepoint/settings", ("SharePointTenantSettings.Read.All",),
                    kind="object"),
    GraphCollection("intune_settings", "/deviceManagement/settings", ("DeviceManagementConfiguration.Read.All",),
                    kind="object"),
    GraphCollection("compliance_policies", "/deviceManagement/deviceCompliancePolicies?$expand=assignments",
                    ("DeviceManagementConfiguration.Read.All",)),
    GraphCollection("managed_devices",
                    "/deviceManagement/managedDevices?$select=id,deviceName,operatingSystem,complianceState,"
                    "isEncrypted,lastSyncDateTime,userPrincipalName&$top=999",
                    ("DeviceManagementManagedDevices.Read.All",)),
    GraphCollection("secure_scores", "/security/secureScores?$top=1", ("SecurityEvents.Read.All",)),
    # Exchange Online (admin API).
    ExchangeCollection("exo_transport_config", "Get-TransportConfig"),
    ExchangeCollection("exo_organization_config", "Get-OrganizationConfig"),
    ExchangeCollection("exo_admin_audit_log_config", "Get-AdminAuditLogConfig"),
    ExchangeCollection("exo_outbound_spam_policies", "Get-HostedOutboundSpamFilterPolicy"),
    ExchangeCollection("exo_remote_domains", "Get-RemoteDomain"),
    ExchangeCollection("exo_dkim_configs", "Get-DkimSigningConfig"),
    ExchangeCollection("exo_accepted_domains", "Get-AcceptedDomain"),
    ExchangeCollection("exo_sharing_policies", "Get-SharingPolicy"),
    ExchangeCollection("exo_transport_rules", "Get-TransportRule"),
    ExchangeCollection("exo_cas_mailboxes", "Get-CASMailbox", {"ResultSize": "Unlimited"}),
    ExchangeCollection("exo_mailboxes", "Get-Mailbox", {"ResultSize": "Unlimited"}),
    # Email protection: Exchange Online Protection, then Defender for Office 365 (its cmdlets exist only
    # with that licence).
    ExchangeCollection("exo_eop_rules", "Get-EOPProtectionPolicyRule"),
    ExchangeCollection("exo_malware_policies", "Get-MalwareFilterPolicy"),
    ExchangeCollection("exo_spam_policies", "Get-HostedContentFilterPolicy"),
    ExchangeCollection("exo_connection_filter_policies", "Get-HostedConnectionFilterPolicy"),
    ExchangeCollection("exo_antiphish_policies", "Get-AntiPhishPolicy"),
    ExchangeCollection("exo_atp_rules", "Get-ATPProtectionPolicyRule"),
    ExchangeCollection("exo_safe_attachment_policies", "Get-SafeAttachmentPolicy"),
    ExchangeCollection("exo_safe_links_policies", "Get-SafeLinksPolicy"),
    ExchangeCollection("exo_atp_o365_policies", "Get-AtpPolicyForO365"),
    # Public DNS, for each accepted domain.
    DnsCollection("dns_spf", lambda domain: [domain]),
    DnsCollection("dns_dkim", lambda domain: [f"selector1._domainkey.{domain}", f"selector2._domainkey.{domain}"]),
    DnsCollection("dns_dmarc", _dmarc_names),
)

#: Every collection by name.
COLLECTIONS: Mapping[str, Collection] = {c.name: c for c in _ALL}

#: Collected for every scan before anything else.
ALWAYS: tuple[str, ...] = ("organization", "subscribed_skus")


def required_permissions(names: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The application permissions the named collections (default: all) need, sorted."""
    chosen = [COLLECTIONS[n] for n in names] if names is not None else list(COLLECTIONS.values())
    return sorted({p for c in chosen for p in c.permissions})
