"""Tenant-wide Entra policies under ``/policies``: authorization, authentication methods, security
defaults, admin consent, app management, cross-tenant default, idle timeout, device registration.

Shapes follow the v1.0 documentation examples (``/work/shared/graph-examples``) with the properties
those examples leave out added as Graph returns them (``featureSettings`` of Microsoft
Authenticator, ``policyMigrationState``).
"""

from __future__ import annotations

import json
from typing import Any

from sim.profiles._context import Context
from sim.profiles._spec import AuthMethods, Authz, Directory

__all__ = [
    "activity_timeout_policies",
    "admin_consent_policy",
    "app_management_policy",
    "authentication_methods_policy",
    "authorization_policy",
    "cross_tenant_default",
    "device_registration_policy",
    "security_defaults",
]

_ALL_USERS = {"targetType": "group", "id": "all_users", "isRegistrationRequired": False}
_NOBODY = "00000000-0000-0000-0000-000000000000"
#: AAGUIDs of YubiKey 5 series keys (the hardened FIDO2 allow list).
_YUBIKEY_AAGUIDS = ["cb69481e-8ff7-4039-93ec-0a2729a154a8", "ee882879-721c-4913-9775-3dfcce97072a"]


def authorization_policy(a: Authz) -> dict[str, Any]:
    grants = ["ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
              "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat"]
    if a.user_consent:
        grants.insert(0, a.user_consent)
    return {
        "id": "authorizationPolicy",
        "allowInvitesFrom": a.allow_invites_from,
        "allowedToSignUpEmailBasedSubscriptions": True,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": False,
        "allowUserConsentForRiskyApps": a.risky_app_consent,
        "blockMsolPowerShell": a.block_msol,
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "guestUserRoleId": a.guest_role,
        "defaultUserRolePermissions": {
            "allowedToCreateApps": a.create_apps,
            "allowedToCreateSecurityGroups": a.create_security_groups,
            "allowedToCreateTenants": a.create_tenants,
            "allowedToReadBitlockerKeysForOwnedDevice": a.read_bitlocker_keys,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": grants,
        },
    }


def security_defaults(enabled: bool) -> dict[str, Any]:
    return {
        "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. "
                       "When enabled, these recommendations will be automatically enforced in your organization. "
                       "Administrators and users will be better protected from common identity related attacks.",
        "displayName": "Security Defaults",
        "id": "00000000-0000-0000-0000-000000000005",
        "isEnabled": enabled,
    }


def _feature(state: str) -> dict[str, Any]:
    return {"state": state, "includeTarget": {"targetType": "group", "id": "all_users"},
            "excludeTarget": {"targetType": "group", "id": _NOBODY}}


def _state(on: bool) -> str:
    return "enabled" if on else "disabled"


def authentication_methods_policy(ctx: Context, m: AuthMethods) -> dict[str, Any]:
    restricted = m.fido2 == "hardened"
    configurations = [
        {"@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration", "id": "Fido2",
         "state": _state(m.fido2 != "off"), "isSelfServiceRegistrationAllowed": True,
         "isAttestationEnforced": restricted,
         "keyRestrictions": {"isEnforced": restricted, "enforcementType": "allow" if restricted else "block",
                             "aaGuids": list(_YUBIKEY_AAGUIDS) if restricted else []},
         "includeTargets": [dict(_ALL_USERS)], "excludeTargets": []},
        {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
         "id": "MicrosoftAuthenticator", "state": _state(m.authenticator), "isSoftwareOathEnabled": False,
         "featureSettings": {
             "displayAppInformationRequiredState": _feature(m.authenticator_context),
             "displayLocationInformationRequiredState": _feature(m.authenticator_context),
             "companionAppAllowedState": _feature("default"),
         },
         "includeTargets": [{**_ALL_USERS, "authenticationMode": "any", "outlookMobileAllowedState": "default",
                             "displayAppInformationRequiredState": "default",
                             "numberMatchingRequiredState": "default"}],
         "excludeTargets": []},
        {"@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration", "id": "Sms",
         "state": _state(m.sms != "off"),
         "includeTargets": [{**_ALL_USERS, "isUsableForSignIn": m.sms == "sign_in"}], "excludeTargets": []},
        {"@odata.type": "#microsoft.graph.voiceAuthenticationMethodConfiguration", "id": "Voice",
         "state": _state(m.voice), "isOfficePhoneAllowed": False,
         "includeTargets": [dict(_ALL_USERS)] if m.voice else [], "excludeTargets": []},
        {"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
         "id": "TemporaryAccessPass", "state": _state(m.tap != "off"), "defaultLifetimeInMinutes": 60,
         "defaultLength": 8, "minimumLifetimeInMinutes": 60, "maximumLifetimeInMinutes": 480,
         "isUsableOnce": m.tap == "one_time", "includeTargets": [dict(_ALL_USERS)], "excludeTargets": []},
        {"@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration", "id": "Email",
         "state": _state(m.email), "allowExternalIdToUseEmailOtp": "default",
         "includeTargets": [dict(_ALL_USERS)] if m.email else [], "excludeTargets": []},
        {"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethodConfiguration", "id": "SoftwareOath",
         "state": "disabled", "includeTargets": [], "excludeTargets": []},
    ]
    return {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, "
                       "authentication method registration requirements, and self-service password reset settings",
        "lastModifiedDateTime": ctx.ago(45),
        "policyVersion": "1.5",
        "policyMigrationState": m.migration_state,
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {
                "snoozeDurationInDays": 1,
                "enforceRegistrationAfterAllowedSnoozes": True,
                "state": m.campaign,
                "excludeTargets": [],
                "includeTargets": [{"id": "all_users", "targetType": "group",
                                    "targetedAuthenticationMethod": "microsoftAuthenticator"}],
            },
        },
        "authenticationMethodConfigurations": configurations,
    }


def admin_consent_policy(enabled: bool, reviewer_ids: list[str]) -> dict[str, Any]:
    reviewers = [{"query": f"/users/{uid}", "queryType": "MicrosoftGraph", "queryRoot": None}
                 for uid in reviewer_ids] if enabled else []
    return {"isEnabled": enabled, "notifyReviewers": enabled, "remindersEnabled": enabled,
            "requestDurationInDays": 30 if enabled else 0, "version": 2 if enabled else 0, "reviewers": reviewers}


def app_management_policy(restricted: bool) -> dict[str, Any]:
    def restrictions() -> dict[str, Any]:
        if not restricted:
            return {"passwordCredentials": [], "keyCredentials": []}
        return {
            "passwordCredentials": [
                {"restrictionType": "passwordAddition", "state": "enabled", "maxLifetime": None,
                 "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z"},
                {"restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P180D",
                 "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z"},
            ],
            "keyCredentials": [
                {"restrictionType": "asymmetricKeyLifetime", "state": "enabled", "maxLifetime": "P365D",
                 "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z"},
            ],
        }

    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "displayName": "Default app management tenant policy",
        "description": "Default tenant policy that enforces app management restrictions on applications and service "
                       "principals. To apply policy to targeted resources, create a new policy under "
                       "appManagementPolicies collection.",
        "isEnabled": restricted,
        "applicationRestrictions": restrictions(),
        "servicePrincipalRestrictions": restrictions(),
    }


def cross_tenant_default(inbound_blocked: bool) -> dict[str, Any]:
    def access(allowed: bool, target: str, kind: str) -> dict[str, Any]:
        return {"accessType": "allowed" if allowed else "blocked", "targets": [{"target": target, "targetType": kind}]}

    def direction(allowed: bool) -> dict[str, Any]:
        return {"usersAndGroups": access(allowed, "AllUsers", "user"),
                "applications": access(allowed, "AllApplications", "application")}

    return {
        "isServiceDefault": not inbound_blocked,
        "inboundTrust": {"isMfaAccepted": False, "isCompliantDeviceAccepted": False,
                         "isHybridAzureADJoinedDeviceAccepted": False},
        "b2bCollaborationOutbound": direction(True),
        "b2bCollaborationInbound": direction(not inbound_blocked),
        "b2bDirectConnectOutbound": direction(False),
        "b2bDirectConnectInbound": direction(False),
        "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
        "invitationRedemptionIdentityProviderConfiguration": {
            "primaryIdentityProviderPrecedenceOrder": ["azureActiveDirectory", "externalFederation",
                                                       "socialIdentityProviders"],
            "fallbackIdentityProvider": "defaultConfiguredIdp",
        },
    }


def activity_timeout_policies(ctx: Context, idle_timeout: str | None) -> list[dict[str, Any]]:
    if idle_timeout is None:
        return []
    definition = {"ActivityBasedTimeoutPolicy": {"Version": 1, "ApplicationPolicies": [
        {"ApplicationId": "default", "WebSessionIdleTimeout": idle_timeout}]}}
    return [{"id": ctx.uid("activity-timeout"), "deletedDateTime": None,
             "definition": [json.dumps(definition, separators=(",", ":"))],
             "displayName": "DefaultActivityBasedTimeoutPolicy", "isOrganizationDefault": True}]


def device_registration_policy(d: Directory, allowed_ids: list[str]) -> dict[str, Any]:
    if d.device_join == "selected":
        join: dict[str, Any] = {"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
                                "users": list(allowed_ids), "groups": []}
    else:
        kind = "allDeviceRegistrationMembership" if d.device_join == "all" else "noDeviceRegistrationMembership"
        join = {"@odata.type": f"#microsoft.graph.{kind}"}
    return {
        "id": "deviceRegistrationPolicy",
        "displayName": "Device Registration Policy",
        "description": "Tenant-wide policy that manages intial provisioning controls using quota restrictions, "
                       "additional authentication and authorization checks",
        "userDeviceQuota": 20 if d.device_join == "selected" else 50,
        "multiFactorAuthConfiguration": "required" if d.device_join == "selected" else "notRequired",
        "azureADRegistration": {
            "isAdminConfigurable": False,
            "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"},
        },
        "azureADJoin": {
            "isAdminConfigurable": True,
            "allowedToJoin": join,
            "localAdmins": {
                "enableGlobalAdmins": d.ga_local_admin,
                "registeringUsers": {"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"}
                if not d.ga_local_admin else {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"},
            },
        },
        "localAdminPassword": {"isEnabled": d.laps},
    }


#: Microsoft Graph's delegated permission ids for the names the profiles classify (Graph's published ids).
_DELEGATED_IDS = {
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "Mail.Read": "570282fd-fa5c-430d-a7fd-fc8dc98a9dca",
    "Files.Read.All": "df85f4d6-205c-4ac5-a5ea-6bf408dba283",
}


def permission_classifications(a: Authz) -> list[dict[str, Any]]:
    """``delegatedPermissionClassifications`` of Microsoft Graph's service principal."""
    return [{"id": f"cls-{index}", "permissionId": _DELEGATED_IDS[name], "permissionName": name,
             "classification": "low"} for index, name in enumerate(a.low_risk_permissions)]
