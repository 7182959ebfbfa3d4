"""Every user must pass MFA to reach Azure management (portal, CLI, PowerShell, ARM)."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

#: "Windows Azure Service Management API": Azure portal, Azure CLI, Az PowerShell and ARM templates.
AZURE_MANAGEMENT_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

META = CheckMeta(
    id="entra.ca.mfa_azure_management",
    title="MFA is required for Azure management",
    area="Conditional Access",
    severity=Severity.HIGH,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MT.1008",),
    rationale=(
        "Anyone who reaches Azure Resource Manager with a role there can read or delete subscriptions, "
        "virtual machines and backups; MFA for that one app protects it even where users are otherwise exempt."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources > Select resources = Windows Azure Service "
        "Management API (or All resources), Grant = Require multifactor authentication; set Enable policy to On."
    ),
    decision=(
        "A policy for All resources counts only with no excluded apps. Report-only and risk-limited policies "
        "never count."
    ),
)


def _targets_azure_management(policy: dict[str, Any]) -> bool:
    apps = policy["conditions"]["applications"]
    return _policy.targets_all_apps(policy) or (
        AZURE_MANAGEMENT_APP_ID in apps["includeApplications"]
        and AZURE_MANAGEMENT_APP_ID not in apps["excludeApplications"]
    )


def _rule(policy: dict[str, Any]) -> bool:
    return (
        _policy.targets_all_users(policy)
        and _targets_azure_management(policy)
        and _policy.is_mfa_for_everyone(policy)
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find(data["ca_policies"], _rule)
