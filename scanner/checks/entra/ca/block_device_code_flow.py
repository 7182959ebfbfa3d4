"""The device code flow is blocked for everyone."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.block_device_code_flow",
    title="Device code flow is blocked",
    area="Conditional Access",
    severity=Severity.HIGH,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MS.AAD.3.9v1", "CIS M365 v7.0 5.2.2.12", "MT.1052"),
    rationale=(
        "Device code phishing sends a user a real Microsoft sign-in page with the attacker's code; the user "
        "signs in, MFA included, and the attacker receives the tokens. Few organisations need the flow at all."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources = All resources, Conditions > Authentication flows "
        "= Device code flow, Grant = Block access; set Enable policy to On."
    ),
    decision=(
        "transferMethods is a comma-separated flags value: a policy blocking both device code flow and "
        "authentication transfer counts (ScubaGear compares the whole string and would not). A missing "
        "authenticationFlows key means no condition, as Graph omits it when unset. Report-only never counts."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    return (
        "deviceCodeFlow" in _policy.transfer_methods(policy)
        and _policy.blocks(policy)
        and not _policy.extra_conditions(policy, allowed=("authenticationFlows",))
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _rule, data.config)
