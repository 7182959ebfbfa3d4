import pytest

from scanner.checks import Status
from scanner.checks.entra.pim import ga_activation_approval as check
from tests.scanner.checks.conftest import NO_ROLE_GROUPS, graph_value, run

PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
APPROVER = {"@odata.type": "#microsoft.graph.singleUser", "userId": "48d31887-5fad-4d73-a9f5-3c356e68a038"}


def _assignments():
    return graph_value("policies-rolemanagementpolicyassignments")


def _setting(assignments):
    return next(r for r in assignments[0]["policy"]["rules"] if r["id"] == "Approval_EndUser_Assignment")["setting"]


def test_fails_on_documented_policy_without_approval():
    verdict = run(check, **NO_ROLE_GROUPS, role_policy_assignments=_assignments())
    assert (verdict.status, verdict.reason) == (Status.FAIL, "approval_not_required")


def test_fails_when_approval_is_required_but_nobody_approves():
    assignments = _assignments()
    _setting(assignments)["isApprovalRequired"] = True
    verdict = run(check, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_approvers")


def test_passes_with_approval_and_an_approver():
    assignments = _assignments()
    setting = _setting(assignments)
    setting["isApprovalRequired"] = True
    setting["approvalStages"][0]["primaryApprovers"].append(APPROVER)
    verdict = run(check, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"isApprovalRequired": True, "primary_approvers": 1, "pim_groups_checked": 0,
                                "pim_groups_without_approval": []}


def test_missing_global_admin_policy_is_an_error_not_a_pass():
    assignments = _assignments()
    assignments[0]["roleDefinitionId"] = PRIVILEGED_ROLE_ADMIN
    with pytest.raises(KeyError):
        run(check, **NO_ROLE_GROUPS, role_policy_assignments=assignments)


def test_missing_approval_rule_is_an_error_not_a_pass():
    assignments = _assignments()
    rules = assignments[0]["policy"]["rules"]
    rules[:] = [r for r in rules if r["id"] != "Approval_EndUser_Assignment"]
    with pytest.raises(KeyError):
        run(check, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
