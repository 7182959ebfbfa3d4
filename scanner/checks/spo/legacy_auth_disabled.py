"""SharePoint refuses apps that sign in with legacy authentication."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.spo._settings import tenant_settings

META = CheckMeta(
    id="spo.legacy_auth_disabled",
    title="SharePoint blocks legacy authentication",
    area="SharePoint and OneDrive",
    severity=Severity.HIGH,
    collections=("sharepoint_settings",),
    gates=(Gate.SHAREPOINT,),
    references=("CIS M365 v7.0 7.2.1",),
    rationale=(
        "Apps that use legacy authentication send the password itself to SharePoint, so MFA and device-based "
        "Conditional Access never apply; a stolen password opens every file the user can reach."
    ),
    remediation=(
        "In the SharePoint admin center go to Policies > Access control > Apps that don't use modern "
        "authentication and choose Block access, or run Set-SPOTenant -LegacyAuthProtocolsEnabled $false."
    ),
)


def evaluate(data: Collected) -> Verdict:
    enabled = tenant_settings(data["sharepoint_settings"])["isLegacyAuthProtocolsEnabled"]
    evidence = {"isLegacyAuthProtocolsEnabled": enabled}
    if enabled is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
