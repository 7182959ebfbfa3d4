"""The tenant's default app-management policy limits every app's certificate lifetime to 365 days.

ScubaGear's MS.AAD.5.7v1: an enabled ``asymmetricKeyLifetime`` restriction with ``maxLifetime`` of 365 days
or less, for applications and service principals alike, covering every app (not only those created after
a date). An enabled custom app-management policy that allows a longer lifetime is an exemption for the
apps it is assigned to, and fails (``custom_policy_allows``).
"""

import datetime as dt
from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.apps._restrictions import covers_all_apps, enabled_restrictions, lifetime

META = CheckMeta(
    id="entra.apps.certificate_lifetime_limited",
    title="App certificates may live at most 365 days",
    area="Applications",
    severity=Severity.MEDIUM,
    collections=("app_management_policy", "app_management_policies"),
    references=("MS.AAD.5.7v1",),
    rationale=(
        "A certificate credential whose private key leaked works until the certificate expires. A year at most "
        "bounds the damage and keeps rotation a routine, not an incident."
    ),
    remediation=(
        "With Microsoft Graph, PATCH /policies/defaultAppManagementPolicy: set isEnabled to true and add, under both "
        "applicationRestrictions and servicePrincipalRestrictions, a keyCredentials restriction with restrictionType "
        "'asymmetricKeyLifetime', state 'enabled', maxLifetime 'P365D' and restrictForAppsCreatedAfterDateTime null."
    ),
)

_MAX = dt.timedelta(days=365)


def _limits(restrictions: dict[str, Any]) -> bool:
    return any(covers_all_apps(r) and lifetime(r["maxLifetime"]) <= _MAX
               for r in enabled_restrictions(restrictions, "keyCredentials", "asymmetricKeyLifetime"))


def evaluate(data: Collected) -> Verdict:
    policy = data["app_management_policy"]

    evidence: dict[str, Any] = {
        "isEnabled": policy["isEnabled"],
        "applicationRestrictions": _limits(policy["applicationRestrictions"]),
        "servicePrincipalRestrictions": _limits(policy["servicePrincipalRestrictions"]),
    }
    exempting = [p["displayName"] for p in data["app_management_policies"]
                 if p["isEnabled"] is True and not _limits(p["restrictions"])]
    evidence["custom_policies_allowing_longer"] = exempting
    if policy["isEnabled"] is not True:
        return Verdict.failed(evidence, reason="policy_disabled")
    if not (evidence["applicationRestrictions"] and evidence["servicePrincipalRestrictions"]):
        return Verdict.failed(evidence, reason="lifetime_not_limited")
    if exempting:
        return Verdict.failed(evidence, affected=exempting, reason="custom_policy_allows")
    return Verdict.passed(evidence)
