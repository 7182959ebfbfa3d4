"""Every sign-in must come from a compliant (Intune) or hybrid-joined device."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

_DEVICE_CONTROLS = frozenset({"compliantDevice", "domainJoinedDevice"})

META = CheckMeta(
    id="entra.ca.managed_device_required",
    title="A managed device is required to sign in",
    area="Conditional Access",
    severity=Severity.MEDIUM,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1, Gate.INTUNE),
    references=("MS.AAD.3.7v1", "CIS M365 v7.0 5.2.2.9", "MT.1001", "MT.1014"),
    rationale=(
        "With a device requirement, a stolen password and even a phished MFA prompt are useless from the "
        "attacker's own machine: only devices the organisation manages get in."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources = All resources, Grant = Require device to be "
        "marked as compliant (and optionally Require Microsoft Entra hybrid joined device) with 'Require one of "
        "the selected controls'; set Enable policy to On."
    ),
    decision=(
        "CIS 5.2.2.9 rule: the controls include compliantDevice, contain nothing but compliantDevice and "
        "domainJoinedDevice, and are joined by OR. ScubaGear requires exactly both; cloud-only tenants have no "
        "hybrid join, so we do not. Report-only and risk-limited policies never count."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    controls = set(_policy.built_in_controls(policy))
    return (
        "compliantDevice" in controls
        and controls <= _DEVICE_CONTROLS
        and policy["grantControls"]["operator"] == "OR"
        and not _policy.extra_conditions(policy)
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _rule, data.config)
