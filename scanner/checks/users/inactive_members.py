"""No enabled member account has gone unused for longer than the tenant's threshold."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.users._inactivity import DECISION, evaluate_inactivity

META = CheckMeta(
    id="users.inactive_members",
    title="No inactive member accounts",
    area="Inactive accounts",
    severity=Severity.MEDIUM,
    collections=("users_sign_in",),
    gates=(Gate.ENTRA_P1,),
    rationale=(
        "Accounts of leavers and unused service accounts keep their passwords, group memberships and licences. "
        "Nobody notices when they are taken over, which makes them a favourite foothold for attackers."
    ),
    remediation=(
        "Check each account listed with its manager. Block sign-in and remove licences for leavers (Microsoft 365 "
        "admin center > Users > Active users > Block sign-in), convert mailboxes that must be kept to shared "
        "mailboxes, and with Entra ID Governance set up an access review or lifecycle workflow for inactive users."
    ),
    decision=DECISION,
)


def evaluate(data: Collected) -> Verdict:
    return evaluate_inactivity(data, "Member")
