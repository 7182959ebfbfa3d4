"""Activating Global Administrator in PIM needs someone else's approval."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.pim._policy import role_policy_rule
from scanner.collections import GLOBAL_ADMIN_ROLE_ID

META = CheckMeta(
    id="entra.pim.ga_activation_approval",
    title="Global Administrator activation requires approval",
    area="PIM",
    severity=Severity.HIGH,
    collections=("role_policy_assignments",),
    gates=(Gate.ENTRA_P2,),
    references=("MS.AAD.7.6v1", "CIS M365 v7.0 5.3.4"),
    rationale=(
        "With approval required, a phished eligible Global Administrator cannot activate the role alone: a second "
        "person sees the request and its justification first."
    ),
    remediation=(
        "Entra admin center > Identity Governance > Privileged Identity Management > Microsoft Entra roles > "
        "Settings > Global Administrator > Edit > Activation: tick 'Require approval to activate' and select at "
        "least one approver (a user or a group)."
    ),
    decision="Approval counts only with named approvers: an empty approver list is reported as no_approvers.",
    versus_scuba=(
        "more lenient: PIM for Groups policies of groups holding the role are not read yet"
    ),
)


def evaluate(data: Collected) -> Verdict:
    rule = role_policy_rule(data["role_policy_assignments"], GLOBAL_ADMIN_ROLE_ID, "Approval_EndUser_Assignment")
    setting = rule["setting"]
    approvers = [a for stage in setting["approvalStages"] for a in stage["primaryApprovers"]]
    evidence = {"isApprovalRequired": setting["isApprovalRequired"], "primary_approvers": len(approvers)}
    if setting["isApprovalRequired"] is not True:
        return Verdict.failed(evidence, reason="approval_not_required")
    if not approvers:
        return Verdict.failed(evidence, reason="no_approvers")
    return Verdict.passed(evidence)
