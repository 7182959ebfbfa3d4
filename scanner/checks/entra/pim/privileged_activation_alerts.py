"""Someone is emailed whenever a highly privileged role other than Global Administrator is activated."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.pim._policy import role_policy_rule
from scanner.collections import GLOBAL_ADMIN_ROLE_ID, PRIVILEGED_ROLE_IDS

META = CheckMeta(
    id="entra.pim.privileged_activation_alerts",
    title="Activations of other privileged roles send alerts",
    area="PIM",
    severity=Severity.LOW,
    collections=("role_policy_assignments",),
    gates=(Gate.ENTRA_P2,),
    references=("MS.AAD.7.9v1",),
    rationale=(
        "A Privileged Role, User or Exchange Administrator can do nearly as much harm as a Global Administrator. "
        "An alert on each activation lets someone question the one nobody expected."
    ),
    remediation=(
        "Entra admin center > Identity Governance > Privileged Identity Management > Microsoft Entra roles > "
        "Settings: for each highly privileged role besides Global Administrator, Edit > Notification: under 'Send "
        "notifications when eligible members activate this role', add the security team's address to Role "
        "activation alert > Additional recipients."
    ),
    decision="Only additional recipients count, as for Global Administrator (entra.pim.activation_alerts, 7.8).",
)


def evaluate(data: Collected) -> Verdict:
    silent = sorted(name for role_id, name in PRIVILEGED_ROLE_IDS.items() if role_id != GLOBAL_ADMIN_ROLE_ID and not
                    role_policy_rule(data["role_policy_assignments"], role_id,
                                     "Notification_Admin_EndUser_Assignment")["notificationRecipients"])
    evidence = {"roles_checked": len(PRIVILEGED_ROLE_IDS) - 1, "roles_without_alert": silent}
    if silent:
        return Verdict.failed(evidence, affected=silent)
    return Verdict.passed(evidence)
