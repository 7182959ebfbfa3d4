"""User-risk and sign-in-risk conditions are not combined in one enforced policy."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.risk_policies_separate",
    title="User risk and sign-in risk are handled by separate policies",
    area="Conditional Access",
    severity=Severity.LOW,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1, Gate.ENTRA_P2),
    references=("MT.1049",),
    rationale=(
        "Conditions in one policy must all match, so a policy with both user risk and sign-in risk fires only "
        "when both are raised at once; a risky sign-in by a clean user, or a compromised user signing in "
        "normally, passes untouched."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies: in each listed policy keep either "
        "User risk or Sign-in risk under Conditions, and create a second policy for the other."
    ),
)


def _combines_risks(policy: dict[str, Any]) -> bool:
    conditions = policy["conditions"]
    return bool(conditions["userRiskLevels"]) and bool(conditions["signInRiskLevels"])


def evaluate(data: Collected) -> Verdict:
    enforced = [p for p in data["ca_policies"] if p["state"] == _policy.ENFORCED]
    combined = [p for p in enforced if _combines_risks(p)]
    if combined:
        return Verdict.failed(
            {"combined_policies": [_policy.policy_ref(p) for p in combined]}, affected=[p["id"] for p in combined]
        )
    return Verdict.passed({"enforced_policies_read": len(enforced)})
