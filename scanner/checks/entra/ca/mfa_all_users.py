"""Every user must pass MFA on every sign-in, through an enforced tenant-wide Conditional Access policy."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.mfa_all_users",
    title="MFA is required for all users",
    area="Conditional Access",
    severity=Severity.CRITICAL,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MS.AAD.3.2v2", "CIS M365 v7.0 5.2.2.2", "MT.1007"),
    rationale=(
        "A password alone is phished, guessed or reused every day; requiring a second factor for every user "
        "and every app stops nearly all account takeovers that start with a password."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only the break-glass accounts), Target resources = All resources with no exclusions, "
        "Grant = Require multifactor authentication (or an authentication strength); set Enable policy to On."
    ),
    decision=(
        "Grant control 'mfa' or any authentication strength counts. A policy limited to risky users, risky "
        "sign-ins or one authentication flow does not: it leaves ordinary sign-ins without MFA. "
        "Report-only never counts."
    ),
    versus_scuba=(
        "stricter: an authentication strength counts only if every combination it allows is multifactor, and "
        "excluding guests disqualifies a policy"
    ),
)


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _policy.is_mfa_for_everyone, data.config)
