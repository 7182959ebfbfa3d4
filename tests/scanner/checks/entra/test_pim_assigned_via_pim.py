from scanner.checks import Status
from scanner.checks.entra.pim import assigned_via_pim as check
from tests.scanner.checks.conftest import graph_value, run

FIRST = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"
SECOND = "56f2d212-e49c-42e3-8298-0188e5bef094"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def _instances():
    return graph_value("rolemanagement-directory-roleassignmentscheduleinstances")


def test_fails_for_the_documented_assignments_made_outside_pim():
    verdict = run(check, role_assignment_instances=_instances())
    assert verdict.status is Status.FAIL
    assert verdict.affected == [SECOND, FIRST]


def test_assignment_with_a_start_date_was_made_through_pim():
    instances = _instances()
    instances[0]["startDateTime"] = "2026-06-01T00:00:00Z"
    verdict = run(check, role_assignment_instances=instances)
    assert verdict.affected == [SECOND]


def test_passes_when_only_pim_activations_remain():
    instances = [i for i in _instances() if i["assignmentType"] == "Activated"]
    verdict = run(check, role_assignment_instances=instances)
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"privileged_instances": 1, "assigned_outside_pim": 0}


def test_non_privileged_role_is_ignored():
    instances = _instances()
    instances[1]["roleDefinitionId"] = DIRECTORY_READERS
    assert run(check, role_assignment_instances=instances).affected == [FIRST]
