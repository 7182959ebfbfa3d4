"""Legacy authentication is blocked by an enforced, tenant-wide Conditional Access policy."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.block_legacy_auth",
    title="Legacy authentication is blocked",
    area="Conditional Access",
    severity=Severity.CRITICAL,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MS.AAD.1.1v1", "CIS M365 v7.0 5.2.2.3", "MT.1009", "MT.1010"),
    rationale=(
        "Legacy protocols (IMAP, POP, SMTP AUTH, ActiveSync basic auth, old Office clients) cannot do MFA, "
        "so a stolen or sprayed password is enough to sign in through them. Most password-spray attacks use them."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users "
        "(exclude only the break-glass accounts), Target resources = All resources, Conditions > Client apps = "
        "Exchange ActiveSync clients and Other clients, Grant = Block access; set Enable policy to On."
    ),
    decision=(
        "Report-only policies never count. The policy must cover all users and all apps with no excluded apps or "
        "roles, exclude only break-glass accounts, and not be limited to risky sign-ins (ScubaGear common checks)."
    ),
)


def evaluate(data: Collected) -> Verdict:
    return _policy.find_ca_base(data["ca_policies"], _policy.is_legacy_auth_block, data.config)
