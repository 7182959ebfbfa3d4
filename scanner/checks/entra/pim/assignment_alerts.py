"""Someone outside the admins is emailed whenever a highly privileged role is assigned, eligible or active."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.pim._policy import GROUP_POLICY_COLLECTIONS, group_policy_rules, role_policy_rule
from scanner.collections import PRIVILEGED_ROLE_IDS

META = CheckMeta(
    id="entra.pim.assignment_alerts",
    title="Privileged role assignments send alerts",
    area="PIM",
    severity=Severity.LOW,
    collections=("role_policy_assignments", *GROUP_POLICY_COLLECTIONS),
    gates=(Gate.ENTRA_P2,),
    references=("MS.AAD.7.7v1",),
    rationale=(
        "Making someone eligible for, or assigning them, a highly privileged role is how an attacker with admin "
        "rights keeps them. An alert to a mailbox the security team watches makes every such grant a question."
    ),
    remediation=(
        "Entra admin center > Identity Governance > Privileged Identity Management > Microsoft Entra roles > "
        "Settings: for each highly privileged role, Edit > Notification: under 'Send notifications when members "
        "are assigned as eligible to this role' and '... assigned as active to this role', add the security "
        "team's address to Role assignment alert > Additional recipients."
    ),
    decision=(
        "Both alerts (eligible and active assignment) of every highly privileged role need additional recipients; "
        "the default recipients are the admins being watched, so they do not count (as for 7.8). The same two alerts "
        "on the PIM for Groups policy of every group holding such a role count as the role's (as in ScubaGear)."
    ),
)

_RULES = ("Notification_Admin_Admin_Eligibility", "Notification_Admin_Admin_Assignment")


def evaluate(data: Collected) -> Verdict:
    silent = {name for role_id, name in PRIVILEGED_ROLE_IDS.items() for rule in _RULES
              if not role_policy_rule(data["role_policy_assignments"], role_id, rule)["notificationRecipients"]}
    silent |= {f"group {name}" for rule_id in _RULES
               for name, rule in group_policy_rules(data, PRIVILEGED_ROLE_IDS, rule_id)
               if not rule["notificationRecipients"]}
    evidence = {"roles_checked": len(PRIVILEGED_ROLE_IDS), "roles_without_alert": sorted(silent)}
    if silent:
        return Verdict.failed(evidence, affected=sorted(silent))
    return Verdict.passed(evidence)
