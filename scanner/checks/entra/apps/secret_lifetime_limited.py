"""The tenant's default app-management policy limits every app's client secret lifetime to 180 days.

ScubaGear's MS.AAD.5.6v1: an enabled ``passwordLifetime`` restriction with ``maxLifetime`` of 180 days
or less, for applications and service principals alike, covering every app (not only those created after
a date). An enabled custom app-management policy that allows a longer lifetime is an exemption for the
apps it is assigned to, and fails (``custom_policy_allows``).
When adding secrets is blocked for every app (MS.AAD.5.5v1), no secret can be made and the lifetime
says nothing: not applicable, as in ScubaGear.
"""

import datetime as dt

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.apps._restrictions import blocks_password_addition, lifetime_verdict

META = CheckMeta(
    id="entra.apps.secret_lifetime_limited",
    title="Client secrets may live at most 180 days",
    area="Applications",
    severity=Severity.MEDIUM,
    collections=("app_management_policy", "app_management_policies"),
    references=("MS.AAD.5.6v1",),
    rationale=(
        "A client secret copied into a script or a config file works until it expires. Short lifetimes bound how "
        "long a leaked one stays useful, and make owners rotate, or move to certificates and managed identities."
    ),
    remediation=(
        "With Microsoft Graph, PATCH /policies/defaultAppManagementPolicy: set isEnabled to true and add, under both "
        "applicationRestrictions and servicePrincipalRestrictions, a passwordCredentials restriction with "
        "restrictionType 'passwordLifetime', state 'enabled', maxLifetime 'P180D' and "
        "restrictForAppsCreatedAfterDateTime null."
    ),
)

_MAX = dt.timedelta(days=180)


def evaluate(data: Collected) -> Verdict:
    policy = data["app_management_policy"]
    if policy["isEnabled"] is True and all(blocks_password_addition(policy[k]) for k in
                                           ("applicationRestrictions", "servicePrincipalRestrictions")):
        return Verdict.not_applicable("password_addition_blocked", {"isEnabled": True})
    # A custom policy that blocks adding secrets has none whose lifetime could run long.
    return lifetime_verdict(policy, data["app_management_policies"], "passwordCredentials", "passwordLifetime", _MAX,
                            exempt=blocks_password_addition)
