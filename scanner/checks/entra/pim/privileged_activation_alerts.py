"""Someone is emailed whenever a highly privileged role other than Global Administrator is activated."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.pim._policy import GROUP_POLICY_COLLECTIONS, group_policy_rules, role_policy_rule
from scanner.collections import GLOBAL_ADMIN_ROLE_ID, PRIVILEGED_ROLE_IDS

META = CheckMeta(
    id="entra.pim.privileged_activation_alerts",
    title="Activations of other privileged roles send alerts",
    area="PIM",
    severity=Severity.LOW,
    collections=("role_policy_assignments", *GROUP_POLICY_COLLECTIONS),
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
    decision=(
        "Only additional recipients count, as for Global Administrator (entra.pim.activation_alerts, 7.8). Groups "
        "holding these roles under PIM for Groups need the alert on membership activation too (as in ScubaGear)."
    ),
)


_RULE = "Notification_Admin_EndUser_Assignment"


def evaluate(data: Collected) -> Verdict:
    others = {role_id: name for role_id, name in PRIVILEGED_ROLE_IDS.items() if role_id != GLOBAL_ADMIN_ROLE_ID}
    silent = {name for role_id, name in others.items()
              if not role_policy_rule(data["role_policy_assignments"], role_id, _RULE)["notificationRecipients"]}
    silent |= {f"group {name}" for name, rule in group_policy_rules(data, others, _RULE)
               if not rule["notificationRecipients"]}
    evidence = {"roles_checked": len(others), "roles_without_alert": sorted(silent)}
    if silent:
        return Verdict.failed(evidence, affected=sorted(silent))
    return Verdict.passed(evidence)
