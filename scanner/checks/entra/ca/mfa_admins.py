"""Every highly privileged role must pass MFA for every app, through one enforced policy."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.mfa_admins",
    title="MFA is required for administrators",
    area="Conditional Access",
    severity=Severity.CRITICAL,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v7.0 5.2.2.1", "MT.1006"),
    rationale=(
        "An administrator's password opens the whole tenant. Admin accounts are the first target of phishing "
        "and password spray, so MFA on them must not depend on any other policy being right."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users > Directory roles = "
        "Global, Privileged Role, Privileged Authentication, Security, User, Exchange, SharePoint, Hybrid Identity, "
        "Application and Cloud Application Administrator (or All users); Target resources = All resources; "
        "Grant = Require multifactor authentication; set Enable policy to On."
    ),
    decision=(
        "One policy must cover every role in scanner.collections.PRIVILEGED_ROLE_IDS (or all users) and exclude "
        "none of them, with no excluded apps (Maester MT.1006 takes the same single-policy view). "
        "Risk-limited and report-only policies never count."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    return (
        _policy.targets_all_apps(policy)
        and _policy.targets_privileged_roles(policy)
        and _policy.is_mfa_for_everyone(policy)
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find(data["ca_policies"], _rule)
