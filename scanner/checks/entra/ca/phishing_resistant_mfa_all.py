"""Every user must sign in with a phishing-resistant method, through an enforced tenant-wide policy."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.phishing_resistant_mfa_all",
    title="Phishing-resistant MFA is required for all users",
    area="Conditional Access",
    severity=Severity.MEDIUM,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MS.AAD.3.1v1",),
    rationale=(
        "Push, SMS and one-time codes can be relayed by adversary-in-the-middle phishing kits. Passkeys, "
        "Windows Hello for Business and certificates are bound to the real sign-in page and cannot be relayed."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only break-glass accounts), Target resources = All resources, Grant = Require authentication "
        "strength > Phishing-resistant MFA; switch it On once every user has registered such a method."
    ),
    decision=(
        "The strength's allowed combinations must all be windowsHelloForBusiness, fido2 or x509CertificateMultiFactor "
        "(ScubaGear's rule), so a custom strength counts when it is as strict. Report-only never counts."
    ),
)


def _rule(policy: dict[str, Any]) -> bool:
    return _policy.requires_phishing_resistant_mfa(policy) and not _policy.extra_conditions(policy)


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _rule, data.config)
