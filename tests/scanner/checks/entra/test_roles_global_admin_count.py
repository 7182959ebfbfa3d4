from scanner.checks import Status, TenantConfig
from scanner.checks.entra.roles import global_admin_count as check
from scanner.collections import GLOBAL_ADMIN_ROLE_ID
from tests.scanner.checks.conftest import NO_PIM_GROUPS, graph_value, run

JOEY = "ace08ec9-aa11-4ada-9145-addf0398233e"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "role_eligibility_instances": [],
        **NO_PIM_GROUPS,  # nobody eligible (or a tenant without Entra ID P2)
    }


def test_passes_with_two_global_admins():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"global_admins": sorted([JOEY, "MeganB@contoso.com"]), "count": 2, "min": 2, "max": 4}


def test_fails_with_the_single_global_admin_of_the_documented_example():
    verdict = run(
        check,
        role_assignments=graph_value("rolemanagement-directory-roleassignments"),
        privileged_group_members={},
        role_eligibility_instances=[],
        **NO_PIM_GROUPS,
    )
    assert (verdict.status, verdict.reason) == (Status.FAIL, "too_few")
    assert verdict.affected == []


def test_fails_above_the_configured_maximum_and_names_the_admins():
    verdict = run(check, config=TenantConfig(global_admin_min=1, global_admin_max=1), **_data())
    assert (verdict.status, verdict.reason) == (Status.FAIL, "too_many")
    assert verdict.affected == sorted([JOEY, "MeganB@contoso.com"])


def test_members_of_a_group_holding_global_admin_are_counted():
    data = _data()
    next(a for a in data["role_assignments"] if a["principalId"] == GROUP)["roleDefinitionId"] = GLOBAL_ADMIN_ROLE_ID
    verdict = run(check, **data)
    assert verdict.status is Status.PASS
    assert verdict.evidence["global_admins"] == sorted(["AdeleV@contoso.com", JOEY, "MeganB@contoso.com"])


def _eligible(user_id: str, upn: str, role: str = "62e90394-69f5-4237-9190-012177145e10") -> dict:
    """A roleEligibilityScheduleInstance with its principal expanded (the v1.0 resource's shape)."""
    return {"id": f"elig-{user_id}", "principalId": user_id, "roleDefinitionId": role, "directoryScopeId": "/",
            "appScopeId": None, "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": None,
            "memberType": "Direct", "roleEligibilityScheduleId": f"sched-{user_id}",
            "principal": {"@odata.type": "#microsoft.graph.user", "id": user_id, "userPrincipalName": upn}}


def test_pim_eligible_global_admins_count_as_scubagear_7_1_rules():
    # ScubaGear MS.AAD.7.1v1 counts eligible Global Administrators (on P2 tenants): each is one
    # activation away. Two active plus three eligible is five, over the default maximum of four.
    data = _data()
    data["role_eligibility_instances"] = [_eligible(f"0000000{n}-0000-4000-8000-000000000000", f"e{n}@contoso.com")
                                          for n in range(3)]
    verdict = run(check, **data)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "too_many")
    assert verdict.evidence["count"] == 5


def test_an_eligible_group_whose_members_were_not_read_is_named():
    data = _data()
    data["role_eligibility_instances"] = [{**_eligible("9f0e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", "x"),
                                           "principal": {"@odata.type": "#microsoft.graph.group",
                                                         "id": "9f0e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"}}]
    verdict = run(check, **data)
    assert verdict.evidence["eligible_groups_not_expanded"] == ["9f0e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"]
