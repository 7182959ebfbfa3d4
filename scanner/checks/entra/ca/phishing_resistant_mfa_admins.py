"""Every highly privileged role must sign in with a phishing-resistant method, through one enforced policy."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.phishing_resistant_mfa_admins",
    title="Phishing-resistant MFA is required for administrators",
    area="Conditional Access",
    severity=Severity.HIGH,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MS.AAD.3.6v1", "CIS M365 v7.0 5.2.2.5"),
    rationale=(
        "Attackers phish administrators with kits that relay push and code prompts in real time. Passkeys, "
        "Windows Hello for Business and certificate sign-in cannot be relayed, so a phished admin stays safe."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users > Directory roles = "
        "every highly privileged role (Global, Privileged Role, Privileged Authentication, Security, User, Exchange, "
        "SharePoint, Hybrid Identity, Application, Cloud Application Administrator); Target resources = All "
        "resources; Grant = Require authentication strength > Phishing-resistant MFA; set Enable policy to On."
    ),
    decision=(
        "The strength is judged by its allowed combinations (all of windowsHelloForBusiness, fido2, "
        "x509CertificateMultiFactor), not by its display name as Prowler does, so a strict custom strength counts. "
        "Targeting as entra.ca.mfa_admins; report-only never counts. Excluded users, groups, roles or guests "
        "other than break-glass accounts disqualify a policy (reason unapproved_exclusions), as in ScubaGear."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    return (
        _policy.targets_all_apps(policy)
        and _policy.targets_privileged_roles(policy)
        and _policy.requires_phishing_resistant_mfa(policy)
        and not _policy.extra_conditions(policy)
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find_excluding_break_glass_only(data["ca_policies"], _rule, data.config)
