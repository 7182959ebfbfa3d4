"""MS.AAD.7.7v1 (alerts on eligible and active assignment of every highly privileged role) and 7.9v1
(alerts on activation of the privileged roles other than Global Administrator), read from each role's
PIM policy: only additional recipients count, as ScubaGear rules it."""

import copy

import pytest

from scanner.checks import Status
from scanner.checks.entra.pim import assignment_alerts, privileged_activation_alerts
from scanner.collections import GLOBAL_ADMIN_ROLE_ID, PRIVILEGED_ROLE_IDS
from tests.scanner.checks.conftest import NO_ROLE_GROUPS, graph_value, run

ASSIGNMENT_RULES = ("Notification_Admin_Admin_Eligibility", "Notification_Admin_Admin_Assignment")
ACTIVATION_RULE = "Notification_Admin_EndUser_Assignment"


def every_role(recipients: list[str]) -> list[dict]:
    """The documented policy assignment, once per highly privileged role, with these extra recipients."""
    template = graph_value("policies-rolemanagementpolicyassignments")[0]
    # The fixture keeps two of the documented example's rules; the assignment alerts are notification
    # rules of the same shape, for the Admin caller and the Eligibility or Assignment level.
    activation = next(r for r in template["policy"]["rules"] if r["id"] == ACTIVATION_RULE)
    for rule_id, level in zip(ASSIGNMENT_RULES, ("Eligibility", "Assignment"), strict=True):
        rule = copy.deepcopy(activation)
        rule["id"], rule["target"] = rule_id, {**rule["target"], "caller": "Admin", "level": level}
        template["policy"]["rules"].append(rule)
    assignments = []
    for role_id in PRIVILEGED_ROLE_IDS:
        assignment = copy.deepcopy(template)
        assignment["roleDefinitionId"] = role_id
        for rule in assignment["policy"]["rules"]:
            if rule["id"].startswith("Notification_Admin_"):
                rule["notificationRecipients"] = list(recipients)
        assignments.append(assignment)
    return assignments


def _rule(assignments: list[dict], role_id: str, rule_id: str) -> dict:
    assignment = next(a for a in assignments if a["roleDefinitionId"] == role_id)
    return next(r for r in assignment["policy"]["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize("check", [assignment_alerts, privileged_activation_alerts])
def test_passes_when_every_role_alerts_an_additional_recipient(check) -> None:
    assert run(check, **NO_ROLE_GROUPS, role_policy_assignments=every_role(["soc@msp.example"])).status is Status.PASS


@pytest.mark.parametrize("check", [assignment_alerts, privileged_activation_alerts])
def test_default_recipients_alone_fail(check) -> None:
    verdict = run(check, **NO_ROLE_GROUPS, role_policy_assignments=every_role([]))
    assert verdict.status is Status.FAIL and len(verdict.affected) >= len(PRIVILEGED_ROLE_IDS) - 1


@pytest.mark.parametrize("rule_id", ASSIGNMENT_RULES)
def test_one_silent_assignment_alert_of_one_role_fails_7_7(rule_id: str) -> None:
    assignments = every_role(["soc@msp.example"])
    role_id, name = next((r, n) for r, n in PRIVILEGED_ROLE_IDS.items() if r != GLOBAL_ADMIN_ROLE_ID)
    _rule(assignments, role_id, rule_id)["notificationRecipients"] = []
    verdict = run(assignment_alerts, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
    assert (verdict.status, verdict.affected) == (Status.FAIL, [name])


def test_7_9_leaves_global_administrator_to_7_8() -> None:
    assignments = every_role(["soc@msp.example"])
    _rule(assignments, GLOBAL_ADMIN_ROLE_ID, ACTIVATION_RULE)["notificationRecipients"] = []
    verdict = run(privileged_activation_alerts, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
    assert verdict.status is Status.PASS


def test_a_role_without_a_policy_is_an_error_not_a_pass() -> None:
    assignments = every_role(["soc@msp.example"])[1:]
    with pytest.raises(KeyError):
        run(assignment_alerts, **NO_ROLE_GROUPS, role_policy_assignments=assignments)
