"""Someone is emailed whenever Global Administrator is activated in PIM."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.pim._policy import GROUP_POLICY_COLLECTIONS, group_policy_rules, role_policy_rule
from scanner.collections import GLOBAL_ADMIN_ROLE_ID

META = CheckMeta(
    id="entra.pim.activation_alerts",
    title="Global Administrator activations send alerts",
    area="PIM",
    severity=Severity.LOW,
    collections=("role_policy_assignments", *GROUP_POLICY_COLLECTIONS),
    gates=(Gate.ENTRA_P2,),
    references=("MS.AAD.7.8v1",),
    rationale=(
        "An activation of the most powerful role should reach a mailbox someone watches (the security team or "
        "the MSP), so an activation nobody expected is questioned the same day."
    ),
    remediation=(
        "Entra admin center > Identity Governance > Privileged Identity Management > Microsoft Entra roles > "
        "Settings > Global Administrator > Edit > Notification: under 'Send notifications when eligible members "
        "activate this role', add the security team's address to Role activation alert > Additional recipients."
    ),
    decision=(
        "Only additional recipients count (ScubaGear): the default recipients are the tenant's own Global and "
        "Privileged Role Administrators, the accounts being watched, so they are not an independent alert."
    ),
)


_RULE = "Notification_Admin_EndUser_Assignment"


def evaluate(data: Collected) -> Verdict:
    rule = role_policy_rule(data["role_policy_assignments"], GLOBAL_ADMIN_ROLE_ID, _RULE)
    recipients = rule["notificationRecipients"]
    groups = group_policy_rules(data, [GLOBAL_ADMIN_ROLE_ID], _RULE)
    silent_groups = sorted(name for name, group_rule in groups if not group_rule["notificationRecipients"])
    evidence = {"notificationRecipients": recipients, "isDefaultRecipientsEnabled": rule["isDefaultRecipientsEnabled"],
                "pim_groups_checked": len(groups), "pim_groups_without_alert": silent_groups}
    if not recipients:
        return Verdict.failed(evidence)
    if silent_groups:
        return Verdict.failed(evidence, affected=silent_groups, reason="group_activation_without_alert")
    return Verdict.passed(evidence)
