"""The tenant's default app-management policy blocks adding client secrets to every app and service principal,
and no custom policy lets some of them add secrets again.

Only the MS.AAD.5.5v1 part (password addition blocked) is checked; lifetime limits (5.6, 5.7) would be separate
checks. ``restrictForAppsCreatedAfterDateTime`` scopes a restriction to apps created on or after that date: the
restriction covers every app only when it is null or earlier than any Entra application can be (Entra's own
"all applications" value is 0001-01-01). A later date leaves every older app free to add secrets, so it fails
(``new_apps_only``); we used to pass it. A custom app-management policy overrides the default for the apps it is
assigned to: an enabled one that does not block password addition is an exemption (``custom_policy_allows``),
whether or not it is assigned yet.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.apps._restrictions import blocks_password_addition, covers_all_apps, enabled_restrictions

META = CheckMeta(
    id="entra.apps.credential_policy",
    title="Adding client secrets to apps is blocked",
    area="Applications",
    severity=Severity.MEDIUM,
    collections=("app_management_policy", "app_management_policies"),
    references=("MS.AAD.5.5v1", "CIS M365 v7.0 5.1.5.3", "MT.1002"),
    rationale=(
        "A client secret is a password for an app: it ends up in scripts and config files, and whoever copies it "
        "acts as the app with all its permissions. Blocking new secrets pushes owners to certificates or "
        "managed identities."
    ),
    remediation=(
        "With Microsoft Graph, PATCH /policies/defaultAppManagementPolicy: set isEnabled to true and add a "
        "passwordCredentials restriction with restrictionType 'passwordAddition' and state 'enabled' under both "
        "applicationRestrictions and servicePrincipalRestrictions, with restrictForAppsCreatedAfterDateTime null "
        "(all apps). Remove password additions from custom app-management policies, or their exemptions. Move "
        "existing secret users to certificates first."
    ),
    decision=(
        "A restriction dated after 2010-01-01 covers only apps created since and fails (new_apps_only); an enabled "
        "custom policy that allows secrets fails (custom_policy_allows), even before it is assigned."
    ),
)



def _password_blocks(restrictions: dict[str, Any]) -> list[dict[str, Any]]:
    return enabled_restrictions(restrictions, "passwordCredentials", "passwordAddition")



def evaluate(data: Collected) -> Verdict:
    policy = data["app_management_policy"]
    is_enabled = policy["isEnabled"]
    apps_blocked = blocks_password_addition(policy["applicationRestrictions"])
    service_principals_blocked = blocks_password_addition(policy["servicePrincipalRestrictions"])
    evidence = {
        "isEnabled": is_enabled,
        "applicationRestrictions.passwordAddition": apps_blocked,
        "servicePrincipalRestrictions.passwordAddition": service_principals_blocked,
    }
    exempting = [p["displayName"] for p in data["app_management_policies"]
                 if p["isEnabled"] is True and not blocks_password_addition(p["restrictions"])]
    evidence["custom_policies_allowing_secrets"] = exempting
    if is_enabled is not True:
        return Verdict.failed(evidence, reason="policy_disabled")
    if not (apps_blocked and service_principals_blocked):
        dated = [r["restrictForAppsCreatedAfterDateTime"] for key in ("applicationRestrictions",
                 "servicePrincipalRestrictions") for r in _password_blocks(policy[key]) if not covers_all_apps(r)]
        if dated:
            return Verdict.failed({**evidence, "restricted_since": sorted(set(dated))}, reason="new_apps_only")
        return Verdict.failed(evidence, reason="password_addition_allowed")
    if exempting:
        return Verdict.failed(evidence, affected=exempting, reason="custom_policy_allows")
    return Verdict.passed(evidence)
