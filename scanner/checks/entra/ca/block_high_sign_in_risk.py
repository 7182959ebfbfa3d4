"""High-risk sign-ins are blocked for everyone (Entra ID Protection)."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.block_high_sign_in_risk",
    title="High-risk sign-ins are blocked",
    area="Conditional Access",
    severity=Severity.HIGH,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1, Gate.ENTRA_P2),
    references=("MS.AAD.2.3v1", "CIS M365 v7.0 5.2.2.8", "MT.1012"),
    rationale=(
        "Entra ID Protection rates a sign-in high risk when it looks like an attacker (anonymous IP, "
        "impossible travel, token replay, known attack patterns). Blocking those stops the attempt outright."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources = All resources, Conditions > Sign-in risk = High, "
        "Grant = Block access; set Enable policy to On."
    ),
    decision=(
        "ScubaGear's rule: 'high' must be among the levels and the control must be Block. CIS 5.2.2.8 also wants "
        "'medium'; we do not require it. A policy that also sets user risk or an authentication flow only fires "
        "when both match, so it does not count. Report-only never counts."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    return (
        "high" in policy["conditions"]["signInRiskLevels"]
        and _policy.blocks(policy)
        and not _policy.extra_conditions(policy, allowed=("signInRiskLevels",))
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _rule, data.config)
