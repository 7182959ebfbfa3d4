"""The tenant's default app-management policy blocks adding client secrets to apps and service principals.

Only the MS.AAD.5.5v1 part (password addition blocked) is checked; lifetime limits (5.6, 5.7) would be separate
checks. A restriction scoped by ``restrictForAppsCreatedAfterDateTime`` still counts: it is how Microsoft lets a
tenant phase the rule in, and existing secrets are covered by ``entra.apps.no_long_lived_secrets``.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.apps.credential_policy",
    title="Adding client secrets to apps is blocked",
    area="Applications",
    severity=Severity.MEDIUM,
    collections=("app_management_policy",),
    references=("MS.AAD.5.5v1", "CIS M365 v7.0 5.1.5.3", "MT.1002"),
    rationale=(
        "A client secret is a password for an app: it ends up in scripts and config files, and whoever copies it "
        "acts as the app with all its permissions. Blocking new secrets pushes owners to certificates or "
        "managed identities."
    ),
    remediation=(
        "With Microsoft Graph, PATCH /policies/defaultAppManagementPolicy: set isEnabled to true and add a "
        "passwordCredentials restriction with restrictionType 'passwordAddition' and state 'enabled' under both "
        "applicationRestrictions and servicePrincipalRestrictions. Move existing secret users to certificates first."
    ),
)


def _blocks_password_addition(restrictions: dict[str, Any]) -> bool:
    return any(
        r["restrictionType"] == "passwordAddition" and r["state"] == "enabled"
        for r in restrictions["passwordCredentials"]
    )


def evaluate(data: Collected) -> Verdict:
    policy = data["app_management_policy"]
    is_enabled = policy["isEnabled"]
    apps_blocked = _blocks_password_addition(policy["applicationRestrictions"])
    service_principals_blocked = _blocks_password_addition(policy["servicePrincipalRestrictions"])
    evidence = {
        "isEnabled": is_enabled,
        "applicationRestrictions.passwordAddition": apps_blocked,
        "servicePrincipalRestrictions.passwordAddition": service_principals_blocked,
    }
    if is_enabled is not True:
        return Verdict.failed(evidence, reason="policy_disabled")
    if not (apps_blocked and service_principals_blocked):
        return Verdict.failed(evidence, reason="password_addition_allowed")
    return Verdict.passed(evidence)
