"""PIM for Groups, as ScubaGear rules it: a group holding a privileged role passes its power to everyone who
may activate membership (or ownership) of it, and its membership policy is judged with the role's policy.

Each case is a made-up tenant built on the documented bodies that passed before groups were read."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scanner.checks import Status, TenantConfig
from scanner.checks.entra.pim import (
    activation_alerts,
    assignment_alerts,
    ga_activation_approval,
    privileged_activation_alerts,
)
from scanner.checks.entra.roles import admins_cloud_only, global_admin_count, least_privilege_ratio
from scanner.collections import GLOBAL_ADMIN_ROLE_ID
from tests.scanner.checks.conftest import NO_PIM_GROUPS, graph_value, run
from tests.scanner.checks.entra.test_pim_role_alerts import every_role

GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"  # "Exchange Admins" in the role assignments fixture
NESTED = "5a9d2c7e-1b3f-4e8a-9c6d-0f2e4a6b8c1d"
DIEGO, ISAIAH = "DiegoS@contoso.com", "IsaiahL@contoso.com"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
ALERTED = ["soc@msp.example"]
PIM_GROUP_ELIGIBILITY = "identitygovernance-privilegedaccess-group-eligibilityscheduleinstances"


def _role_data(group_role: str = GLOBAL_ADMIN_ROLE_ID) -> dict[str, Any]:
    """The privileged assignments fixture with its group holding ``group_role``, and the group's PIM eligibility."""
    assignments = graph_value("rolemanagement-directory-roleassignments-privileged")
    next(a for a in assignments if a["principalId"] == GROUP)["roleDefinitionId"] = group_role
    return {
        "role_assignments": assignments,
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "role_eligibility_instances": [],
        **NO_PIM_GROUPS,
        "group_pim_eligibility": {GROUP: graph_value(PIM_GROUP_ELIGIBILITY)},
    }


def test_users_eligible_through_pim_for_groups_count_as_global_admins() -> None:
    data = _role_data()
    verdict = run(global_admin_count, config=TenantConfig(global_admin_min=2, global_admin_max=4), **data)
    # Joey and Megan directly; the group's active member, Diego (eligible member) and Isaiah (eligible owner).
    assert (verdict.status, verdict.reason) == (Status.FAIL, "too_many")
    assert {DIEGO, ISAIAH} <= set(verdict.affected)
    assert verdict.evidence["eligible_groups_not_expanded"] == [NESTED]


def test_members_of_a_group_nested_in_a_pim_group_are_read() -> None:
    data = _role_data()
    nested_member = {"@odata.type": "#microsoft.graph.user", "id": "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a",
                     "userPrincipalName": "OnCall@contoso.com", "userType": "Member", "accountEnabled": True}
    data["pim_nested_group_members"] = {NESTED: [nested_member]}
    verdict = run(global_admin_count, config=TenantConfig(global_admin_min=1, global_admin_max=10), **data)
    assert "OnCall@contoso.com" in verdict.evidence["global_admins"]
    assert "eligible_groups_not_expanded" not in verdict.evidence


def test_members_of_an_eligible_group_count() -> None:
    data = _role_data()
    group_assignment = next(a for a in data["role_assignments"] if a["principalId"] == GROUP)
    data["role_assignments"].remove(group_assignment)
    data["role_eligibility_instances"] = [group_assignment]  # the group is eligible, not active
    data["privileged_group_members"] = {}
    data["eligible_group_members"] = {GROUP: graph_value("groups-transitivemembers-privileged")}
    data["group_pim_eligibility"] = {}
    verdict = run(global_admin_count, config=TenantConfig(global_admin_min=2, global_admin_max=2), **data)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "too_many")
    assert "eligible_groups_not_expanded" not in verdict.evidence


def test_pim_group_eligibility_raises_the_global_admin_side_of_the_ratio() -> None:
    data = _role_data()
    verdict = run(least_privilege_ratio, config=TenantConfig(global_admin_min=2, global_admin_max=10), **data)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "global_admins_outnumber_others")


def test_a_synchronised_user_eligible_through_a_pim_group_fails_cloud_only() -> None:
    data = _role_data(USER_ADMIN)
    data["pim_nested_group_members"] = {NESTED: []}  # the nested group was read: nobody in it
    users = [{**a["principal"], "userPrincipalName": a["principal"].get("userPrincipalName", a["principalId"]),
              "onPremisesSyncEnabled": None, "onPremisesImmutableId": None}
             for a in data["role_assignments"] if a["principal"]["@odata.type"] == "#microsoft.graph.user"]
    users += [{**m, "onPremisesSyncEnabled": None, "onPremisesImmutableId": None}
              for m in data["privileged_group_members"][GROUP]]
    users += [{**i["principal"], "onPremisesSyncEnabled": None, "onPremisesImmutableId": None}
              for i in data["group_pim_eligibility"][GROUP][:2]]
    assert run(admins_cloud_only, users=users, **data).status is Status.PASS
    next(u for u in users if u["userPrincipalName"] == DIEGO)["onPremisesImmutableId"] = "b64anchor=="
    verdict = run(admins_cloud_only, users=users, **data)
    assert (verdict.status, verdict.affected) == (Status.FAIL, [DIEGO])


# --- PIM for Groups policies (MS.AAD.7.6 to 7.9) -----------------------------------------------------------


def _role_policies(recipients: list[str], approval: bool) -> list[dict[str, Any]]:
    """Every privileged role's tenant-wide policy, alerting ``recipients`` and requiring approval or not."""
    policies = every_role(recipients)
    for assignment in policies:
        for rule in assignment["policy"]["rules"]:
            if rule["id"] == "Approval_EndUser_Assignment":
                rule["setting"]["isApprovalRequired"] = approval
                rule["setting"]["approvalStages"][0]["primaryApprovers"] = (
                    [{"@odata.type": "#microsoft.graph.singleUser", "userId": "48d31887-5fad-4d73-a9f5-3c356e68a038"}]
                    if approval else [])
    return policies


def _group_policy(recipients: list[str], approval: bool, access: str = "member") -> dict[str, Any]:
    """The PIM for Groups policy assignment of the group's ``access`` (same rules, scoped to the group)."""
    assignment = copy.deepcopy(_role_policies(recipients, approval)[0])
    assignment.update(scopeId=GROUP, scopeType="Group", roleDefinitionId=access)
    assignment["policy"].update(scopeId=GROUP, scopeType="Group")
    return assignment


def _policy_data(group_role: str, group_policies: list[dict[str, Any]]) -> dict[str, Any]:
    data = _role_data(group_role)
    return {"role_assignments": data["role_assignments"], "role_eligibility_instances": [],
            "role_policy_assignments": _role_policies(ALERTED, approval=True),
            "group_pim_policies": {GROUP: group_policies}}


@pytest.mark.parametrize("check", [ga_activation_approval, activation_alerts, assignment_alerts,
                                   privileged_activation_alerts])
def test_a_hardened_group_policy_passes_with_the_roles(check) -> None:
    for role in (GLOBAL_ADMIN_ROLE_ID, USER_ADMIN):
        assert run(check, **_policy_data(role, [_group_policy(ALERTED, approval=True)])).status is Status.PASS


def test_activating_membership_of_a_global_admin_group_without_approval_fails_7_6() -> None:
    verdict = run(ga_activation_approval, **_policy_data(GLOBAL_ADMIN_ROLE_ID, [_group_policy(ALERTED, False)]))
    assert (verdict.status, verdict.reason, verdict.affected) == (
        Status.FAIL, "group_activation_without_approval", ["Exchange Admins"])


def test_the_group_policy_counts_when_the_group_is_only_eligible_for_the_role() -> None:
    data = _policy_data(GLOBAL_ADMIN_ROLE_ID, [_group_policy(ALERTED, False)])
    group_assignment = next(a for a in data["role_assignments"] if a["principalId"] == GROUP)
    data["role_assignments"].remove(group_assignment)
    data["role_eligibility_instances"] = [group_assignment]
    assert run(ga_activation_approval, **data).status is Status.FAIL


def test_only_the_membership_policy_grants_the_role() -> None:
    owner_policy = _group_policy(ALERTED, False, access="owner")
    data = _policy_data(GLOBAL_ADMIN_ROLE_ID, [_group_policy(ALERTED, True), owner_policy])
    assert run(ga_activation_approval, **data).status is Status.PASS


def test_a_group_of_a_narrower_role_is_not_judged_by_7_6() -> None:
    assert run(ga_activation_approval, **_policy_data(USER_ADMIN, [_group_policy([], False)])).status is Status.PASS


def test_a_silent_global_admin_group_fails_7_8_but_is_left_to_7_8_by_7_9() -> None:
    data = _policy_data(GLOBAL_ADMIN_ROLE_ID, [_group_policy([], True)])
    verdict = run(activation_alerts, **data)
    assert (verdict.status, verdict.reason, verdict.affected) == (
        Status.FAIL, "group_activation_without_alert", ["Exchange Admins"])
    assert run(privileged_activation_alerts, **data).status is Status.PASS


def test_a_silent_group_of_another_privileged_role_fails_7_7_and_7_9() -> None:
    data = _policy_data(USER_ADMIN, [_group_policy([], True)])
    for check in (assignment_alerts, privileged_activation_alerts):
        verdict = run(check, **data)
        assert (verdict.status, verdict.affected) == (Status.FAIL, ["group Exchange Admins"])


def test_a_group_without_a_pim_policy_has_no_activation_to_judge() -> None:
    assert run(ga_activation_approval, **_policy_data(GLOBAL_ADMIN_ROLE_ID, [])).status is Status.PASS


def test_a_group_policy_without_the_rule_is_an_error_not_a_pass() -> None:
    policy = _group_policy(ALERTED, True)
    policy["policy"]["rules"] = [r for r in policy["policy"]["rules"] if r["id"] != "Approval_EndUser_Assignment"]
    with pytest.raises(KeyError):
        run(ga_activation_approval, **_policy_data(GLOBAL_ADMIN_ROLE_ID, [policy]))


@pytest.mark.parametrize("check", [global_admin_count, least_privilege_ratio])
def test_a_group_whose_members_were_not_read_is_an_error_not_a_pass(check):
    data = _role_data(USER_ADMIN)  # the group holds a narrower role: counts stay within bounds
    data["group_pim_eligibility"] = {GROUP: [i for i in graph_value(PIM_GROUP_ELIGIBILITY)
                                             if i["principal"]["@odata.type"] == "#microsoft.graph.group"]}
    verdict = run(check, config=TenantConfig(global_admin_min=1, global_admin_max=10), **data)
    assert (verdict.status, verdict.reason) == (Status.ERROR, "eligible_group_unread")
    assert verdict.evidence["eligible_groups_not_expanded"] == [NESTED]


def test_a_role_group_whose_policies_were_not_read_is_an_error_not_a_pass() -> None:
    data = _policy_data(GLOBAL_ADMIN_ROLE_ID, [])
    data["group_pim_policies"] = {}  # the fan-out always asks for every role group: missing means unread
    with pytest.raises(KeyError):
        run(ga_activation_approval, **data)
