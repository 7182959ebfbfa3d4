"""Microsoft 365 services read through Graph: SharePoint tenant settings, Intune (settings,
compliance policies, managed devices) and Secure Score.

Decision: ``/admin/sharepoint/settings`` is stored as the flat entity (as every Graph entity GET
returns it, ``@odata.context`` beside the properties), not wrapped in ``value`` as the documentation
example shows; the scanner accepts both (docs/catalogue-plan.md, SharePoint).

Managed devices: one per licensed member, at least 20, non-compliant ones chosen by index, so the
compliant share depends on the profile's ``noncompliant_per_20`` and never on the user count.
"""

from __future__ import annotations

from typing import Any

from sim.profiles._context import Context
from sim.profiles._spec import Intune, SharePoint

__all__ = ["compliance_policies", "intune_settings", "managed_devices", "secure_score_control_profiles",
           "secure_scores", "sharepoint_settings"]

_POLICY_TYPES = {
    "Windows": "windows10CompliancePolicy",
    "iOS": "iosCompliancePolicy",
    "Android": "androidWorkProfileCompliancePolicy",
    "macOS": "macOSCompliancePolicy",
}
_MODELS = {"Windows": ("Surface Laptop 5", "Microsoft Corporation", "10.0.22631.4460"),
           "iOS": ("iPhone 15", "Apple", "18.1"), "Android": ("Pixel 8", "Google", "15"),
           "macOS": ("MacBook Air", "Apple", "15.1")}


def sharepoint_settings(ctx: Context, s: SharePoint) -> dict[str, Any]:
    partners = ["fabrikam.com", "northwindtraders.com"]
    return {
        "@odata.type": "#microsoft.graph.sharepointSettings",
        "allowedDomainGuidsForSyncApp": [],
        "availableManagedPathsForSiteCreation": ["/sites/", "/teams/"],
        "deletedUserPersonalSiteRetentionPeriodInDays": 30,
        "excludedFileExtensionsForSyncApp": [],
        "idleSessionSignOut": {"isEnabled": False, "warnAfterInSeconds": 0, "signOutAfterInSeconds": 0},
        "imageTaggingOption": "basic",
        "isCommentingOnSitePagesEnabled": True,
        "isFileActivityNotificationEnabled": True,
        "isLegacyAuthProtocolsEnabled": s.legacy_auth,
        "isLoopEnabled": True,
        "isMacSyncAppEnabled": True,
        "isRequireAcceptingUserToMatchInvitedUserEnabled": True,
        "isResharingByExternalUsersEnabled": s.reshare,
        "isSharePointMobileNotificationEnabled": True,
        "isSharePointNewsfeedEnabled": False,
        "isSiteCreationEnabled": True,
        "isSiteCreationUIEnabled": True,
        "isSitePagesCreationEnabled": True,
        "isSitesStorageLimitAutomatic": True,
        "isSyncButtonHiddenOnPersonalSite": False,
        "isUnmanagedSyncAppForTenantRestricted": False,
        "personalSiteDefaultStorageLimitInMB": 1048576,
        "sharingAllowedDomainList": partners if s.domain_mode == "allowList" else [],
        "sharingBlockedDomainList": ["gmail.com", "outlook.com"] if s.domain_mode == "blockList" else [],
        "sharingCapability": s.sharing,
        "sharingDomainRestrictionMode": s.domain_mode,
        "siteCreationDefaultManagedPath": "/sites/",
        "siteCreationDefaultStorageLimitInMB": 26214400,
        "tenantDefaultTimezone": "(UTC-08:00) Pacific Time (US and Canada)",
    }


def intune_settings(i: Intune) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.deviceManagementSettings", "deviceComplianceCheckinThresholdDays": 30,
            "isScheduledActionEnabled": True, "secureByDefault": i.secure_by_default}


def compliance_policies(ctx: Context, i: Intune) -> list[dict[str, Any]]:
    """Compliance policies with ``assignments`` embedded (removed by the server unless $expand)."""
    out = []
    for platform, assigned in i.policies:
        pid = ctx.uid("compliance", platform)
        out.append({
            "@odata.type": f"#microsoft.graph.{_POLICY_TYPES[platform]}",
            "id": pid,
            "createdDateTime": ctx.ago(300),
            "description": f"Baseline compliance for {platform} devices",
            "lastModifiedDateTime": ctx.ago(60),
            "displayName": f"{platform} baseline compliance",
            "version": 3,
            "passwordRequired": True,
            "passwordMinimumLength": 8 if platform != "Windows" else 12,
            "osMinimumVersion": None,
            "scheduledActionsForRule": [],
            "assignments": [{
                "@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment",
                "id": f"{pid}_allLicensedUsers",
                "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"},
            }] if assigned else [],
        })
    return out


def managed_devices(ctx: Context, i: Intune, owners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One device per owner in ``owners`` (cycled), 20 at least."""
    devices = []
    count = max(20, len(owners))
    for index in range(count):
        owner = owners[index % len(owners)] if owners else None
        platform = i.platforms[index % len(i.platforms)]
        model, maker, version = _MODELS[platform]
        compliant = index % 20 >= i.noncompliant_per_20
        name = f"{ctx.slug[:6].upper()}-{platform[:3].upper()}-{index:05d}"
        devices.append({
            "id": ctx.uid("device", str(index)),
            "userId": owner["id"] if owner else None,
            "deviceName": name,
            "managedDeviceOwnerType": "company",
            "enrolledDateTime": ctx.ago(200 + index % 300),
            "lastSyncDateTime": ctx.ago(0.2 + (index % 7) / 10),
            "operatingSystem": platform,
            "complianceState": "compliant" if compliant else "noncompliant",
            "jailBroken": "False" if platform in ("iOS", "Android") else "Unknown",
            "managementAgent": "mdm",
            "osVersion": version,
            "easActivated": False,
            "azureADRegistered": True,
            "deviceEnrollmentType": "windowsAzureADJoin" if platform == "Windows" else "userEnrollment",
            "emailAddress": owner["mail"] if owner else None,
            "azureADDeviceId": ctx.uid("entra-device", str(index)),
            "deviceRegistrationState": "registered",
            "isSupervised": platform == "iOS",
            "isEncrypted": compliant,
            "userPrincipalName": owner["userPrincipalName"] if owner else None,
            "userDisplayName": owner["displayName"] if owner else None,
            "model": model,
            "manufacturer": maker,
            "serialNumber": f"SN{index:08d}",
            "managedDeviceName": f"{name}_{platform}",
            "partnerReportedThreatState": "unknown",
        })
    return devices


def secure_scores(ctx: Context, ratio: float, active_users: int, licensed: int,
                  services: list[str]) -> list[dict[str, Any]]:
    """``/security/secureScores``: today's score first (``$top=1`` reads it)."""
    max_score = 250.0
    current = round(max_score * ratio, 2)
    return [{
        "id": f"{ctx.tenant_id}_{ctx.now.date().isoformat()}",
        "azureTenantId": ctx.tenant_id,
        "activeUserCount": active_users,
        "createdDateTime": ctx.ago(0),
        "currentScore": current,
        "enabledServices": services,
        "licensedUserCount": licensed,
        "maxScore": max_score,
        "averageComparativeScores": [
            {"basis": "AllTenants", "averageScore": 41.5},
            {"basis": "TotalSeats", "averageScore": 44.2},
            {"basis": "IndustryTypes", "averageScore": 52.0},
        ],
        "controlScores": [
            {"controlCategory": "Identity", "controlName": "AdminMFAV2",
             "description": "Ensure multifactor authentication is enabled for all users in administrative roles",
             "score": 10.0 if ratio >= 0.6 else 0.0},
            {"controlCategory": "Identity", "controlName": "BlockLegacyAuthentication",
             "description": "Enable policy to block legacy authentication", "score": 8.0 if ratio >= 0.45 else 0.0},
            {"controlCategory": "Data", "controlName": "DLPEnabled",
             "description": "Data Loss Prevention (DLP) policies can be used to comply with business standards.",
             "score": 0.0},
        ],
        "vendorInformation": {"provider": "SecureScore", "providerVersion": None, "subProvider": None,
                              "vendor": "Microsoft"},
    }]


def secure_score_control_profiles(ctx: Context) -> list[dict[str, Any]]:
    """``/security/secureScoreControlProfiles`` (not read by the catalogue; served for completeness)."""
    controls = (("AdminMFAV2", "Identity", "Require MFA for administrative roles", 10.0),
                ("BlockLegacyAuthentication", "Identity", "Block legacy authentication", 8.0),
                ("DLPEnabled", "Data", "Apply Data Loss Prevention policies", 20.0))
    return [{
        "id": cid,
        "azureTenantId": ctx.tenant_id,
        "actionType": "Config",
        "actionUrl": "https://security.microsoft.com/securescore",
        "controlCategory": category,
        "title": title,
        "deprecated": False,
        "implementationCost": "Moderate",
        "lastModifiedDateTime": None,
        "maxScore": max_score,
        "rank": rank,
        "remediation": f"{title}.",
        "remediationImpact": "This change will have a moderate impact on your users.",
        "service": "AzureAD" if category == "Identity" else "IP",
        "threats": ["Account Breach"],
        "tier": "Core",
        "userImpact": "Moderate",
        "complianceInformation": [{"certificationName": "ISO 27001:2013",
                                   "certificationControls": [{"name": "A.9.4.2", "url": ""}]}],
        "controlStateUpdates": [{"assignedTo": None, "comment": None, "state": "Default", "updatedBy": None,
                                 "updatedDateTime": ctx.ago(30)}],
        "vendorInformation": {"provider": "SecureScore", "providerVersion": None, "subProvider": None,
                              "vendor": "Microsoft"},
    } for rank, (cid, category, title, max_score) in enumerate(controls, start=1)]
