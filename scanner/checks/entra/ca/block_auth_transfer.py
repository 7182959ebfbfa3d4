"""Authentication transfer (moving a signed-in session from a PC to a phone) is blocked for everyone."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.block_auth_transfer",
    title="Authentication transfer is blocked",
    area="Conditional Access",
    severity=Severity.MEDIUM,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v7.0 5.2.2.17",),
    rationale=(
        "Authentication transfer hands a session from a desktop app to a mobile device through a QR code. "
        "The mobile sign-in inherits the desktop's MFA claim, so a device that never proved itself gets tokens."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources = All resources, Conditions > Authentication flows "
        "= Authentication transfer, Grant = Block access; set Enable policy to On."
    ),
    decision=(
        "transferMethods is a comma-separated flags value; one policy blocking both flows counts for both checks. "
        "Report-only never counts."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    return (
        "authenticationTransfer" in _policy.transfer_methods(policy)
        and _policy.blocks(policy)
        and not _policy.extra_conditions(policy, allowed=("authenticationFlows",))
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _rule, data.config)
