from scanner.checks import Status
from scanner.checks.entra.roles import least_privilege_ratio as check
from scanner.collections import GLOBAL_ADMIN_ROLE_ID
from tests.scanner.checks.conftest import NO_PIM_GROUPS, graph_value, run

JOEY = "ace08ec9-aa11-4ada-9145-addf0398233e"
LYNNE = "4dfd4f1c-3a7d-4a55-9f50-2d1a1c0f8e21"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "role_eligibility_instances": [],
        **NO_PIM_GROUPS,  # nobody eligible (or a tenant without Entra ID P2)
    }


def _assignment(data, principal_id):
    return next(a for a in data["role_assignments"] if a["principalId"] == principal_id)


def test_passes_when_global_admins_do_not_outnumber_other_admins():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"global_admins": 2, "other_privileged_users": 2, "min": 2, "max": 4}


def test_fails_when_global_admins_outnumber_other_admins():
    data = _data()
    _assignment(data, LYNNE)["roleDefinitionId"] = GLOBAL_ADMIN_ROLE_ID
    verdict = run(check, **data)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "global_admins_outnumber_others")
    assert verdict.affected == sorted([JOEY, "LynneR@contoso.com", "MeganB@contoso.com"])


def test_fails_at_the_minimum_global_admin_count_without_other_admins_as_scubagear_7_2_rules():
    # ScubaGear MS.AAD.7.2v1 (AADConfig.rego, LeastPrivilegeScore): GA count <= non-GA privileged users.
    # Two Global Administrators and no other admin: 2 > 0, a failure (we used to pass it).
    data = _data()
    data["role_assignments"] = [a for a in data["role_assignments"] if a["roleDefinitionId"] == GLOBAL_ADMIN_ROLE_ID]
    verdict = run(check, **data)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "global_admins_outnumber_others")
    assert verdict.evidence["other_privileged_users"] == 0


def test_equal_numbers_pass_and_one_more_global_admin_fails():
    # The edge of "<=": 2 GA beside 2 others passes (the fixture); make one other a GA: 3 > 1 fails.
    data = _data()
    _assignment(data, LYNNE)["roleDefinitionId"] = GLOBAL_ADMIN_ROLE_ID
    assert run(check, **data).evidence["other_privileged_users"] == 1
    assert run(check, **_data()).status is Status.PASS


def test_fails_outside_the_global_admin_bounds_even_when_outnumbered():
    # ScubaGear's 7.2 passes only when 7.1 (the count within bounds) passes too: one GA is too few.
    data = _data()
    ga = [a for a in data["role_assignments"] if a["roleDefinitionId"] == GLOBAL_ADMIN_ROLE_ID]
    data["role_assignments"] = [a for a in data["role_assignments"] if a not in ga[1:]]
    verdict = run(check, **data)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "global_admin_count_out_of_bounds")
    assert verdict.evidence["global_admins"] == 1
