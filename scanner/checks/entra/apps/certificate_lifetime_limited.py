"""The tenant's default app-management policy limits every app's certificate lifetime to 365 days.

ScubaGear's MS.AAD.5.7v1: an enabled ``asymmetricKeyLifetime`` restriction with ``maxLifetime`` of 365 days
or less, for applications and service principals alike, covering every app (not only those created after
a date). An enabled custom app-management policy that allows a longer lifetime is an exemption for the
apps it is assigned to, and fails (``custom_policy_allows``).
"""

import datetime as dt

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.apps._restrictions import lifetime_verdict

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


def evaluate(data: Collected) -> Verdict:
    return lifetime_verdict(data["app_management_policy"], data["app_management_policies"], "keyCredentials",
                            "asymmetricKeyLifetime", _MAX)
