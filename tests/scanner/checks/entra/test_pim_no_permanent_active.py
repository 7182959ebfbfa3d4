from scanner.checks import Status, TenantConfig
from scanner.checks.entra.pim import no_permanent_active as check
from tests.scanner.checks.conftest import graph_value, run

FIRST = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"
SECOND = "56f2d212-e49c-42e3-8298-0188e5bef094"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def _instances():
    return graph_value("rolemanagement-directory-roleassignmentscheduleinstances")


def test_fails_for_the_documented_permanent_global_admins():
    verdict = run(check, role_assignment_instances=_instances())
    assert verdict.status is Status.FAIL
    assert verdict.affected == [SECOND, FIRST]
    assert verdict.evidence == {"privileged_instances": 3, "permanent_principals": 2, "break_glass_exempt": []}


def test_break_glass_accounts_are_exempt():
    config = TenantConfig(break_glass_ids=frozenset({FIRST, SECOND}))
    verdict = run(check, config=config, role_assignment_instances=_instances())
    assert verdict.status is Status.PASS
    assert verdict.evidence["break_glass_exempt"] == [SECOND, FIRST]


def test_time_bound_assignment_is_not_permanent():
    instances = _instances()
    instances[0]["endDateTime"] = "2027-01-31T00:00:00Z"
    verdict = run(check, role_assignment_instances=instances)
    assert verdict.affected == [SECOND]


def test_permanent_assignment_to_a_non_privileged_role_is_ignored():
    instances = _instances()
    instances[1]["roleDefinitionId"] = DIRECTORY_READERS
    verdict = run(check, role_assignment_instances=instances)
    assert verdict.affected == [FIRST]
