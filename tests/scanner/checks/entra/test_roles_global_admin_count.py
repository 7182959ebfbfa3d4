from scanner.checks import Status, TenantConfig
from scanner.checks.entra.roles import global_admin_count as check
from scanner.collections import GLOBAL_ADMIN_ROLE_ID
from tests.scanner.checks.conftest import graph_value, run

JOEY = "ace08ec9-aa11-4ada-9145-addf0398233e"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
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
