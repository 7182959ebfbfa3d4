"""Every Conditional Access policy in use excludes an emergency-access (break-glass) account or group."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.break_glass_excluded",
    title="Break-glass accounts are excluded from every policy",
    area="Conditional Access",
    severity=Severity.MEDIUM,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v6.0.1 1.1.2", "MT.1005"),
    rationale=(
        "A mistaken policy, an MFA outage or a federation failure can lock every administrator out. A "
        "cloud-only emergency account excluded from all policies is the way back in without calling Microsoft."
    ),
    remediation=(
        "Create two cloud-only Global Administrator accounts (or a group holding them) with long random passwords "
        "or FIDO2 keys kept offline. Entra admin center > Protection > Conditional Access > Policies: in each "
        "policy, Users > Exclude > Users and groups = those accounts. Record their ids in the tenant's "
        "break-glass setting here so that other exclusions are reported."
    ),
    decision=(
        "Policies that are on or report-only are checked; disabled ones are not. With break-glass ids configured "
        "for the tenant, each policy must exclude one of them. Without, the ids excluded by every policy are taken "
        "as break-glass for this check only (the pass then says 'inferred'); if no id is common to all, the check "
        "fails. The other Conditional Access checks accept only configured ids."
    ),
)

NO_COMMON_EXCLUSION = "no_common_exclusion"
MISSING_EXCLUSION = "missing_exclusion"


def evaluate(data: Collected) -> Verdict:
    active = [p for p in data["ca_policies"] if _policy.is_active(p)]
    if not active:
        return Verdict.not_applicable("no_policies", {"policies_read": len(data["ca_policies"])})
    bg = _policy.break_glass(active, data.config)
    evidence = {"break_glass": bg.evidence(), "policies_checked": [_policy.policy_ref(p) for p in active]}
    if bg.source != "configured":
        if bg.candidates:
            return Verdict.passed(evidence, reason="inferred_break_glass")
        exclusions = [
            {**_policy.policy_ref(p), "excluded": sorted(_policy.excluded_principals(p))} for p in active
        ]
        excluding_nothing = [p["id"] for p in active if not _policy.excluded_principals(p)]
        return Verdict.failed(
            {**evidence, "exclusions_by_policy": exclusions}, affected=excluding_nothing, reason=NO_COMMON_EXCLUSION
        )
    missing = [p for p in active if not _policy.excluded_principals(p) & bg.ids]
    if missing:
        return Verdict.failed(evidence, affected=[p["id"] for p in missing], reason=MISSING_EXCLUSION)
    return Verdict.passed(evidence)
