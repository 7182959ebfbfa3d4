"""Security defaults are on, or Conditional Access replaces them (Entra ID P1 with a legacy-auth block and MFA for all).

This is the one check that tests a licence itself: without P1 the tenant cannot enforce Conditional
Access, so security defaults are its only baseline and the check must fail rather than be skipped.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy
from scanner.licences import detect_gates

META = CheckMeta(
    id="entra.secdef.enabled",
    title="Security defaults are on, or Conditional Access replaces them",
    area="Security defaults",
    severity=Severity.HIGH,
    collections=("security_defaults", "ca_policies", "subscribed_skus", "organization"),
    references=("MT.1021",),
    rationale=(
        "A tenant needs a baseline that blocks legacy authentication and makes every user register and use MFA. "
        "Security defaults give that for free; Conditional Access can give it with more control, but only if the "
        "policies are actually in place."
    ),
    remediation=(
        "Without Entra ID P1: Entra admin center > Overview > Properties > Manage security defaults > Enabled. "
        "With P1: keep security defaults off and enforce two Conditional Access policies for all users and all "
        "resources, one blocking legacy authentication and one requiring MFA (see entra.ca.block_legacy_auth and "
        "entra.ca.mfa_all_users)."
    ),
    decision=(
        "Maester MT.1021 skips Premium tenants; we instead pass them only when enforced CA-base policies block "
        "legacy authentication and require MFA for everyone (the same rules as the two CA checks), since P1 "
        "alone protects nothing."
    ),
)

DISABLED_WITHOUT_P1 = "disabled_without_entra_p1"
NO_CA_REPLACEMENT = "disabled_without_ca_baseline"
REPLACED_BY_CA = "replaced_by_conditional_access"


def _refs(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_policy.policy_ref(p) for p in policies]


def evaluate(data: Collected) -> Verdict:
    is_enabled = data["security_defaults"]["isEnabled"]
    if is_enabled is True:
        return Verdict.passed({"isEnabled": True})
    has_p1 = Gate.ENTRA_P1 in detect_gates(data["subscribed_skus"], data["organization"])
    evidence: dict[str, Any] = {"isEnabled": is_enabled, "entra_p1": has_p1}
    if not has_p1:
        return Verdict.failed(evidence, reason=DISABLED_WITHOUT_P1)
    policies = data["ca_policies"]
    bg = _policy.break_glass(policies, data.config)
    base = [p for p in policies if _policy.is_ca_base(p, bg.ids)]
    legacy = [p for p in base if _policy.is_legacy_auth_block(p)]
    mfa = [p for p in base if _policy.is_mfa_for_everyone(p)]
    evidence |= {"break_glass": bg.evidence(), "legacy_auth_blocked_by": _refs(legacy), "mfa_required_by": _refs(mfa)}
    if legacy and mfa:
        return Verdict.passed(evidence, reason=REPLACED_BY_CA)
    return Verdict.failed(evidence, reason=NO_CA_REPLACEMENT)
