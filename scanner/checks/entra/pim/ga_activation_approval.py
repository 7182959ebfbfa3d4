"""Activating Global Administrator in PIM needs someone else's approval."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.pim._policy import GROUP_POLICY_COLLECTIONS, group_policy_rules, role_policy_rule
from scanner.collections import GLOBAL_ADMIN_ROLE_ID

META = CheckMeta(
    id="entra.pim.ga_activation_approval",
    title="Global Administrator activation requires approval",
    area="PIM",
    severity=Severity.HIGH,
    collections=("role_policy_assignments", *GROUP_POLICY_COLLECTIONS),
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
    decision=(
        "Approval counts only with named approvers: an empty approver list is reported as no_approvers. Groups "
        "holding Global Administrator whose membership is governed by PIM for Groups need the same approval on "
        "activating membership (as in ScubaGear)."
    ),
)


def _problem(rule: dict[str, Any]) -> str | None:
    setting = rule["setting"]
    if setting["isApprovalRequired"] is not True:
        return "approval_not_required"
    if not [a for stage in setting["approvalStages"] for a in stage["primaryApprovers"]]:
        return "no_approvers"
    return None


def evaluate(data: Collected) -> Verdict:
    rule = role_policy_rule(data["role_policy_assignments"], GLOBAL_ADMIN_ROLE_ID, "Approval_EndUser_Assignment")
    setting = rule["setting"]
    approvers = [a for stage in setting["approvalStages"] for a in stage["primaryApprovers"]]
    groups = group_policy_rules(data, [GLOBAL_ADMIN_ROLE_ID], "Approval_EndUser_Assignment")
    failing_groups = sorted(name for name, group_rule in groups if _problem(group_rule))
    evidence = {"isApprovalRequired": setting["isApprovalRequired"], "primary_approvers": len(approvers),
                "pim_groups_checked": len(groups), "pim_groups_without_approval": failing_groups}
    reason = _problem(rule)
    if reason:
        return Verdict.failed(evidence, reason=reason)
    if failing_groups:
        return Verdict.failed(evidence, affected=failing_groups, reason="group_activation_without_approval")
    return Verdict.passed(evidence)
