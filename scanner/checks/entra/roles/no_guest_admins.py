"""No guest account holds a highly privileged role."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.roles._roles import directory_entries, privileged_users

META = CheckMeta(
    id="entra.roles.no_guest_admins",
    title="No guest holds a privileged role",
    area="Privileged roles",
    severity=Severity.HIGH,
    collections=("role_assignments", "privileged_group_members", "users"),
    references=("MT.1025",),
    rationale=(
        "A guest's credentials, MFA and offboarding are managed by another organisation; a privileged role on a "
        "guest hands control of the tenant to an account you cannot secure or disable at the source."
    ),
    remediation=(
        "Entra admin center > Entra ID > Roles & admins: remove the role from each guest listed. If the person "
        "needs admin rights (an MSP engineer, for example), use GDAP through Partner Center or a cloud-only member "
        "account in this tenant."
    ),
)


def evaluate(data: Collected) -> Verdict:
    holders = privileged_users(data["role_assignments"], data["privileged_group_members"])
    users = directory_entries(data["users"], holders)
    guests = [u["userPrincipalName"] for u in users.values() if u["userType"] == "Guest"]
    evidence = {"privileged_users": len(holders), "guests": len(guests)}
    if guests:
        return Verdict.failed(evidence, affected=guests)
    return Verdict.passed(evidence)
