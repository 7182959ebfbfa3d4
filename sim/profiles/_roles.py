"""Directory roles and PIM: role assignments (principal embedded), schedule instances, role
management policies, the groups that hold roles, and the service's own app.

Assignments come from each placed person's ``roles`` and the profile's ``groups``; the service's app
always holds Global Reader (what the Exchange admin API needs). Where a role is held through a
group, ``/groups/<id>/transitiveMembers`` lists its members.

Decision: PIM data (schedule instances, policies) is built for every tenant, with out-of-box
policies where the profile has no P2; the HTTP layer refuses those endpoints without P2, as Graph does.
Each role group's membership has a PIM for Groups policy with the rules of the role it holds.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sim.profiles._catalogue import GLOBAL_ADMIN, GLOBAL_READER, PRIVILEGED_ROLE_ADMIN, PRIVILEGED_ROLES, ROLE_NAMES
from sim.profiles._context import Context
from sim.profiles._spec import RoleGrant, Spec
from sim.profiles._users import BuiltUser

__all__ = ["SERVICE_APP_NAME", "build_roles"]

SERVICE_APP_NAME = "M365 Posture Scanner"
_APPROVAL_ROLES = (GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN)


@dataclass
class _Holder:
    principal: dict[str, Any]
    grant: RoleGrant


def build_roles(ctx: Context, spec: Spec, users: list[BuiltUser]) -> tuple[dict[str, Any], set[str]]:
    """The role-related Graph data, and the ids of users who hold (or may activate) a role."""
    by_key = {u.key: u for u in users if u.person is not None}
    holders: list[_Holder] = []
    admin_ids: set[str] = set()
    for u in by_key.values():
        for grant in u.person.roles if u.person else ():
            holders.append(_Holder(_principal(u.graph, "user"), grant))
            admin_ids.add(u.id)
    graph: dict[str, Any] = {}
    groups = []
    for g in spec.groups:
        group = _group(ctx, g.key, g.display_name)
        groups.append(group)
        holders.append(_Holder(_principal(group, "group"), g.grant))
        members = [by_key[k] for k in g.members]
        graph[f"/groups/{group['id']}/transitiveMembers"] = [_principal(m.graph, "user") for m in members]
        admin_ids.update(m.id for m in members)
    app = _service_principal(ctx)
    reader = RoleGrant(GLOBAL_READER, "permanent" if spec.pim_hardened else "direct")
    holders.append(_Holder(_principal(app, "servicePrincipal"), reader))
    active = [h for h in holders if h.grant.mode != "eligible"]
    graph["/roleManagement/directory/roleAssignments"] = [_assignment(h) for h in active]
    graph["/roleManagement/directory/roleAssignmentScheduleInstances"] = [_active_instance(ctx, h) for h in active]
    graph["/roleManagement/directory/roleEligibilityScheduleInstances"] = [
        _eligible_instance(ctx, h) for h in holders if h.grant.mode in ("eligible", "activated")]
    graph["/roleManagement/directory/roleDefinitions"] = [_definition(r) for r in ROLE_NAMES]
    approvers = [u.id for u in by_key.values() if u.person and u.person.pim_approver]
    graph["/policies/roleManagementPolicyAssignments"] = [
        _policy_assignment(ctx, role, spec.pim_hardened, approvers) for role in (*PRIVILEGED_ROLES, GLOBAL_READER)
    ] + [_group_policy_assignment(ctx, group["id"], g.grant.role, spec.pim_hardened, approvers)
         for group, g in zip(groups, spec.groups, strict=True)]
    # Nobody is eligible for membership of a role group through PIM for Groups in any profile.
    graph["/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"] = []
    graph["/groups"] = groups
    graph["/servicePrincipals"] = [app]
    return graph, admin_ids


def _principal(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    # $expand=principal returns the directory object without signInActivity (never returned by default).
    return {"@odata.type": f"#microsoft.graph.{kind}", **{k: v for k, v in obj.items() if k != "signInActivity"}}


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(uuid.UUID(value).bytes_le).decode().rstrip("=")


def _assignment(h: _Holder) -> dict[str, Any]:
    pid = h.principal["id"]
    return {
        "id": f"{_b64(h.grant.role)}{_b64(pid)}-1",
        "principalId": pid,
        "resourceScope": "/",
        "directoryScopeId": "/",
        "roleDefinitionId": h.grant.role,
        "principal": h.principal,
    }


def _window(ctx: Context, mode: str) -> tuple[str, str | None, str | None]:
    """(assignmentType, startDateTime, endDateTime) of an active assignment held this way."""
    if mode == "direct":
        return "Assigned", None, None  # made outside PIM: no schedule start (ScubaGear's test)
    if mode == "permanent":
        return "Assigned", ctx.ago(300), None
    if mode == "timebound":
        return "Assigned", ctx.ago(30), ctx.ahead(335)
    return "Activated", ctx.ago(1 / 24), ctx.ahead(7 / 24)


def _active_instance(ctx: Context, h: _Holder) -> dict[str, Any]:
    kind, start, end = _window(ctx, h.grant.mode)
    base = _assignment(h)["id"]
    return {
        "id": base,
        "principalId": h.principal["id"],
        "roleDefinitionId": h.grant.role,
        "directoryScopeId": "/",
        "appScopeId": None,
        "startDateTime": start,
        "endDateTime": end,
        "assignmentType": kind,
        "memberType": "Direct",
        "roleAssignmentOriginId": base,
        "roleAssignmentScheduleId": ctx.uid("schedule", base),
        "principal": h.principal,
    }


def _eligible_instance(ctx: Context, h: _Holder) -> dict[str, Any]:
    base = _assignment(h)["id"]
    return {
        "id": f"{base}-e",
        "principalId": h.principal["id"],
        "roleDefinitionId": h.grant.role,
        "directoryScopeId": "/",
        "appScopeId": None,
        "startDateTime": ctx.ago(60),
        "endDateTime": ctx.ahead(305),
        "memberType": "Direct",
        "roleEligibilityScheduleId": ctx.uid("eligibility", base),
        "principal": h.principal,
    }


def _definition(role: str) -> dict[str, Any]:
    return {
        "id": role,
        "description": f"Built-in role: {ROLE_NAMES[role]}.",
        "displayName": ROLE_NAMES[role],
        "isBuiltIn": True,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "templateId": role,
        "version": "1",
        "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/allEntities/allProperties/read"],
                             "condition": None}],
        "inheritsPermissionsFrom": [],
    }


def _target(caller: str, level: str) -> dict[str, Any]:
    return {"caller": caller, "operations": ["all"], "level": level, "inheritableSettings": [], "enforcedSettings": []}


def _notification(rule_id: str, recipient: str, caller: str, level: str, to: list[str]) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
        "id": rule_id,
        "notificationType": "Email",
        "recipientType": recipient,
        "notificationLevel": "All",
        "isDefaultRecipientsEnabled": True,
        "notificationRecipients": to,
        "target": _target(caller, level),
    }


def _expiration(rule_id: str, caller: str, level: str, required: bool, duration: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule", "id": rule_id,
            "isExpirationRequired": required, "maximumDuration": duration, "target": _target(caller, level)}


def _approval(approvers: Iterable[str], required: bool) -> dict[str, Any]:
    primary = [{"@odata.type": "#microsoft.graph.singleUser", "userId": a, "description": None} for a in approvers]
    return {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
        "id": "Approval_EndUser_Assignment",
        "target": _target("EndUser", "Assignment"),
        "setting": {
            "isApprovalRequired": required,
            "isApprovalRequiredForExtension": False,
            "isRequestorJustificationRequired": True,
            "approvalMode": "SingleStage",
            "approvalStages": [{
                "approvalStageTimeOutInDays": 1,
                "isApproverJustificationRequired": True,
                "escalationTimeInMinutes": 0,
                "isEscalationEnabled": False,
                "primaryApprovers": primary if required else [],
                "escalationApprovers": [],
            }],
        },
    }


def _policy_assignment(ctx: Context, role: str, hardened: bool, approvers: list[str]) -> dict[str, Any]:
    policy_id = f"DirectoryRole_{ctx.tenant_id}_{ctx.uid('pim-policy', role)}"
    alerts = [f"security@{ctx.custom_domain}"] if hardened and role in PRIVILEGED_ROLES else []
    approval = hardened and role in _APPROVAL_ROLES and bool(approvers)
    enablement = ["MultiFactorAuthentication", "Justification"] if hardened else ["Justification"]
    rules = [
        _expiration("Expiration_Admin_Eligibility", "Admin", "Eligibility", True, "P365D"),
        _notification("Notification_Admin_Admin_Eligibility", "Admin", "Admin", "Eligibility", alerts),
        _expiration("Expiration_Admin_Assignment", "Admin", "Assignment", hardened, "P180D"),
        _notification("Notification_Admin_Admin_Assignment", "Admin", "Admin", "Assignment", alerts),
        _expiration("Expiration_EndUser_Assignment", "EndUser", "Assignment", True, "PT8H"),
        {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
         "id": "Enablement_EndUser_Assignment", "enabledRules": enablement,
         "target": _target("EndUser", "Assignment")},
        _approval(approvers, approval),
        _notification("Notification_Admin_EndUser_Assignment", "Admin", "EndUser", "Assignment", alerts),
        _notification("Notification_Requestor_EndUser_Assignment", "Requestor", "EndUser", "Assignment", []),
    ]
    return {
        "id": f"{policy_id}_{role}",
        "policyId": policy_id,
        "scopeId": "/",
        "scopeType": "DirectoryRole",
        "roleDefinitionId": role,
        "policy": {
            "id": policy_id,
            "displayName": "DirectoryRole",
            "description": "DirectoryRole",
            "isOrganizationDefault": False,
            "scopeId": "/",
            "scopeType": "DirectoryRole",
            "lastModifiedDateTime": ctx.ago(90) if hardened else None,
            "lastModifiedBy": {"displayName": None, "id": None},
            "rules": rules,
        },
    }


def _group_policy_assignment(ctx: Context, group_id: str, role: str, hardened: bool,
                             approvers: list[str]) -> dict[str, Any]:
    """The PIM for Groups policy of the group's membership: the rules of the role it holds, scoped to it."""
    assignment = _policy_assignment(ctx, role, hardened, approvers)
    policy_id = f"Group_{group_id}_{ctx.uid('pim-group-policy', group_id)}"
    assignment.update(id=f"{policy_id}_{group_id}_member", policyId=policy_id, scopeId=group_id, scopeType="Group",
                      roleDefinitionId="member")
    assignment["policy"].update(id=policy_id, displayName="Group", description="Group", scopeId=group_id,
                                scopeType="Group")
    return assignment


def _group(ctx: Context, key: str, name: str) -> dict[str, Any]:
    gid = ctx.uid("group", key)
    return {
        "id": gid,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": ctx.ago(400),
        "description": f"{name} (role-assignable; membership reviewed quarterly)",
        "displayName": name,
        "groupTypes": [],
        "isAssignableToRole": True,
        "mail": None,
        "mailEnabled": False,
        "mailNickname": key,
        "membershipRule": None,
        "onPremisesSyncEnabled": None,
        "securityEnabled": True,
        "securityIdentifier": f"S-1-12-1-{uuid.UUID(gid).int % 4294967296}",
        "visibility": "Private",
    }


def _service_principal(ctx: Context) -> dict[str, Any]:
    app_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, "m365-posture.simulator.app"))
    return {
        "id": ctx.uid("service-principal"),
        "deletedDateTime": None,
        "accountEnabled": True,
        "appDisplayName": SERVICE_APP_NAME,
        "appId": app_id,
        "appOwnerOrganizationId": str(uuid.uuid5(uuid.NAMESPACE_DNS, "m365-posture.simulator.msp")),
        "appRoleAssignmentRequired": False,
        "createdDateTime": ctx.ago(365),
        "displayName": SERVICE_APP_NAME,
        "keyCredentials": [],
        "passwordCredentials": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    }
