"""High-risk users are blocked, or must pass MFA and change their password (Entra ID Protection)."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.block_high_user_risk",
    title="High-risk users are blocked or must change their password",
    area="Conditional Access",
    severity=Severity.HIGH,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1, Gate.ENTRA_P2),
    references=("MS.AAD.2.1v1", "CIS M365 v7.0 5.2.2.6", "MT.1013"),
    rationale=(
        "A user is rated high risk when their credentials are likely in an attacker's hands (leaked "
        "passwords, confirmed compromise). Until the password changes, every sign-in may be the attacker."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources = All resources, Conditions > User risk = High, "
        "Grant = Require multifactor authentication and Require password change (or Block access), "
        "Session > Sign-in frequency = Every time; set Enable policy to On."
    ),
    decision=(
        "ScubaGear accepts only Block; Maester MT.1013 and Microsoft's template accept MFA plus password change, "
        "which lets the user recover on their own. We accept either. A policy that also sets sign-in risk or an "
        "authentication flow does not count; report-only never counts."
    ),
)


def _remediates(policy: dict[str, Any]) -> bool:
    controls = set(_policy.built_in_controls(policy))
    return "block" in controls or {"passwordChange", "mfa"} <= controls


def _rule(policy: dict[str, Any]) -> bool:
    return (
        "high" in policy["conditions"]["userRiskLevels"]
        and _remediates(policy)
        and not _policy.extra_conditions(policy, allowed=("userRiskLevels",))
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _rule, data.config)
