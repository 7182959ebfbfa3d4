import pytest

from scanner.checks import Status
from scanner.checks.entra.pim import activation_alerts as check
from tests.scanner.checks.conftest import NO_ROLE_GROUPS, graph_value, run

PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"


def _assignments():
    return graph_value("policies-rolemanagementpolicyassignments")


def _rule(assignments):
    return next(r for r in assignments[0]["policy"]["rules"] if r["id"] == "Notification_Admin_EndUser_Assignment")


def test_fails_on_documented_policy_with_default_recipients_only():
    verdict = run(check, **NO_ROLE_GROUPS, role_policy_assignments=_assignments())
    assert (verdict.status, verdict.reason) == (Status.FAIL, None)
    assert verdict.evidence["isDefaultRecipientsEnabled"] is True


def test_passes_with_an_additional_recipient():
    assignments = _assignments()
    _rule(assignments)["notificationRecipients"] = ["soc@msp.example"]
    verdict = run(check, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
    assert verdict.status is Status.PASS
    assert verdict.evidence["notificationRecipients"] == ["soc@msp.example"]


def test_missing_global_admin_policy_is_an_error_not_a_pass():
    assignments = _assignments()
    assignments[0]["roleDefinitionId"] = PRIVILEGED_ROLE_ADMIN
    with pytest.raises(KeyError):
        run(check, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
