"""Directory objects: the organization, its domains, directory settings (``/groupSettings``), app
registrations and the on-premises synchronisation object.

Every tenant has two verified domains: the initial ``<slug>.onmicrosoft.com`` (the default, on
which user principal names live) and the custom ``<slug>.com`` (mail, DKIM, sharing).
"""

from __future__ import annotations

from typing import Any

from sim.profiles._context import Context
from sim.profiles._skus import SERVICE_OF_PLAN, plan_id
from sim.profiles._spec import Directory, PasswordRules

__all__ = ["applications", "directory_sync", "domains", "group_settings", "organization"]

_UNIFIED_TEMPLATE = "62375ab9-6b52-47ed-826b-58e47e0e304b"
_PASSWORD_TEMPLATE = "5cf42378-d67d-4f36-ba46-e8b86229381d"


def organization(ctx: Context, plan_names: set[str], hybrid: bool, custom_federated: bool) -> list[dict[str, Any]]:
    """``/organization``: a list of one."""
    assigned = [{"assignedDateTime": ctx.ago(800), "capabilityStatus": "Enabled",
                 "service": SERVICE_OF_PLAN.get(name, name), "servicePlanId": plan_id(name)}
                for name in sorted(plan_names)]
    return [{
        "id": ctx.tenant_id,
        "deletedDateTime": None,
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": None,
        "countryLetterCode": "US",
        "createdDateTime": ctx.ago(1200),
        "defaultUsageLocation": "US",
        "displayName": ctx.display_name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": ctx.ago(0.02) if hybrid else None,
        "onPremisesSyncEnabled": True if hybrid else None,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "privacyProfile": None,
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": "WA",
        "street": "1 Main Street",
        "technicalNotificationMails": [f"it@{ctx.custom_domain}"],
        "tenantType": "AAD",
        "directorySizeQuota": {"used": 500, "total": 300000},
        "assignedPlans": assigned,
        "provisionedPlans": [{"capabilityStatus": "Enabled", "provisioningStatus": "Success",
                              "service": SERVICE_OF_PLAN.get(name, name)} for name in sorted(plan_names)],
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True, "isInitial": True,
             "name": ctx.initial_domain, "type": "Managed"},
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": False, "isInitial": False,
             "name": ctx.custom_domain, "type": "Federated" if custom_federated else "Managed"},
        ],
    }]


def domains(ctx: Context, d: Directory) -> list[dict[str, Any]]:
    """``/domains``. ``passwordValidityPeriodInDays`` null is the post-2021 implicit never-expire."""
    initial_validity, custom_validity = d.password_validity_days

    def domain(name: str, initial: bool, validity: int | None, federated: bool) -> dict[str, Any]:
        return {
            "authenticationType": "Federated" if federated else "Managed",
            "availabilityStatus": None,
            "id": name,
            "isAdminManaged": True,
            "isDefault": initial,
            "isInitial": initial,
            "isRoot": True,
            "isVerified": True,
            "manufacturer": None,
            "model": None,
            "passwordNotificationWindowInDays": 14 if validity else None,
            "passwordValidityPeriodInDays": validity,
            "supportedServices": ["Email", "OfficeCommunicationsOnline"],
            "state": None,
        }

    return [domain(ctx.initial_domain, True, initial_validity, False),
            domain(ctx.custom_domain, False, custom_validity, d.custom_domain_federated)]


def group_settings(ctx: Context, d: Directory) -> list[dict[str, Any]]:
    """``/groupSettings``: directory settings created from templates (none exist by default)."""
    items = []
    if d.unified_group_creation != "absent":
        restricted = d.unified_group_creation == "restricted"
        values = {
            "EnableMIPLabels": "false", "CustomBlockedWordsList": "", "EnableMSStandardBlockedWords": "false",
            "ClassificationDescriptions": "", "DefaultClassification": "", "PrefixSuffixNamingRequirement": "",
            "AllowGuestsToBeGroupOwner": "false", "AllowGuestsToAccessGroups": "true", "GuestUsageGuidelinesUrl": "",
            "GroupCreationAllowedGroupId": "",  # restricted: only admins create groups
            "AllowToAddGuests": "true", "UsageGuidelinesUrl": "", "ClassificationList": "",
            # "False" as ScubaGear's samples show it: the check compares case-insensitively.
            "EnableGroupCreation": "False" if restricted else "true",
        }
        items.append(_setting(ctx, "Group.Unified", _UNIFIED_TEMPLATE, values))
    if d.password_rules is not None:
        values = _password_values(ctx, d.password_rules)
        items.append(_setting(ctx, "Password Rule Settings", _PASSWORD_TEMPLATE, values))
    return items


def _password_values(ctx: Context, r: PasswordRules) -> dict[str, str]:
    words = [ctx.slug, f"{ctx.slug}123", "Summer2024", "Winter2025", "Welcome1"]
    return {
        "BannedPasswordCheckOnPremisesMode": r.onprem_mode,
        "EnableBannedPasswordCheckOnPremises": str(r.onprem_enabled),
        "EnableBannedPasswordCheck": str(r.banned_list),
        "LockoutDurationInSeconds": str(r.lockout_duration_s),
        "LockoutThreshold": str(r.lockout_threshold),
        "BannedPasswordList": "\t".join(words) if r.banned_list else "",
    }


def _setting(ctx: Context, name: str, template: str, values: dict[str, str]) -> dict[str, Any]:
    return {"id": ctx.uid("setting", template), "displayName": name, "templateId": template,
            "values": [{"name": k, "value": v} for k, v in values.items()]}


def applications(ctx: Context, d: Directory) -> list[dict[str, Any]]:
    """``/applications``: an app with a certificate only, plus one app per secret the profile lists."""
    apps = [_app(ctx, "Payroll Export Connector", [], [_certificate(ctx, "Payroll Export Connector")])]
    for secret in d.app_secrets:
        start_days = secret.age_days
        password = {
            "customKeyIdentifier": None,
            "displayName": f"{secret.app} secret",
            "endDateTime": ctx.ahead(secret.lifetime_days - start_days),
            "hint": secret.app[:3].lower(),
            "keyId": ctx.uid("secret", secret.app),
            "secretText": None,
            "startDateTime": ctx.ago(start_days),
        }
        apps.append(_app(ctx, secret.app, [password], []))
    return apps


def _certificate(ctx: Context, app: str) -> dict[str, Any]:
    return {"customKeyIdentifier": "52B2D4D5E2A0F0B6C1C3D6E6F9A8B7C6D5E4F3A2", "displayName": f"CN={app}",
            "endDateTime": ctx.ahead(300), "key": None, "keyId": ctx.uid("certificate", app),
            "startDateTime": ctx.ago(65), "type": "AsymmetricX509Cert", "usage": "Verify"}


def _app(ctx: Context, name: str, passwords: list[dict[str, Any]], keys: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": ctx.uid("application", name),
        "deletedDateTime": None,
        "appId": ctx.uid("app-id", name),
        "createdDateTime": ctx.ago(500),
        "description": None,
        "displayName": name,
        "identifierUris": [],
        "publisherDomain": ctx.custom_domain,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "keyCredentials": keys,
        "passwordCredentials": passwords,
        "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [
            {"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"}]}],
    }


def directory_sync(ctx: Context, d: Directory) -> list[dict[str, Any]]:
    """``/directory/onPremisesSynchronization``: one object; all features off in a cloud-only tenant."""
    sync = d.hybrid
    features = {
        "blockCloudObjectTakeoverThroughHardMatchEnabled": bool(sync and sync.block_hard_match_takeover),
        "blockSoftMatchEnabled": bool(sync and sync.block_soft_match),
        "bypassDirSyncOverridesEnabled": False,
        "cloudPasswordPolicyForPasswordSyncedUsersEnabled": False,
        "concurrentCredentialUpdateEnabled": False,
        "concurrentOrgIdProvisioningEnabled": bool(sync),
        "deviceWritebackEnabled": False,
        "directoryExtensionsEnabled": False,
        "fopeConflictResolutionEnabled": False,
        "groupWriteBackEnabled": False,
        "passwordSyncEnabled": bool(sync and sync.password_hash_sync),
        "passwordWritebackEnabled": bool(sync),
        "quarantineUponProxyAddressesConflictEnabled": True,
        "quarantineUponUpnConflictEnabled": True,
        "softMatchOnUpnEnabled": True,
        "synchronizeUpnForManagedUsersEnabled": True,
        "unifiedGroupWritebackEnabled": False,
        "userForcePasswordChangeOnLogonEnabled": False,
        "userWritebackEnabled": False,
    }
    return [{
        "id": ctx.tenant_id,
        "configuration": {
            "accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500},
            "synchronizationInterval": "PT30M" if sync else None,
            "customerRequestedSynchronizationInterval": None,
        },
        "features": features,
    }]
