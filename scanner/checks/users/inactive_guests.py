"""No enabled guest account has gone unused for longer than the tenant's threshold."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.users._inactivity import DECISION, evaluate_inactivity

META = CheckMeta(
    id="users.inactive_guests",
    title="No inactive guest accounts",
    area="Inactive accounts",
    severity=Severity.MEDIUM,
    collections=("users_sign_in",),
    gates=(Gate.ENTRA_P1,),
    rationale=(
        "Guests keep access to teams, sites and files long after the project ends, and their home organisation, "
        "not yours, decides how well their accounts are protected. An unused guest is access nobody needs."
    ),
    remediation=(
        "Remove guests who no longer work with the organisation (Entra admin center > Users > filter User type: "
        "Guest > Delete), and set up an Entra ID Governance access review of guests in Microsoft 365 groups and "
        "Teams that removes those who are not confirmed."
    ),
    decision=DECISION,
)


def evaluate(data: Collected) -> Verdict:
    return evaluate_inactivity(data, "Guest")
