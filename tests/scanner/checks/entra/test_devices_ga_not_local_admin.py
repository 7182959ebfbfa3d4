from scanner.checks import Status
from scanner.checks.entra.devices import ga_not_local_admin as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_documented_policy_where_global_admins_become_local_admins():
    verdict = run(check, device_registration_policy=graph_body("policies-deviceregistrationpolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"azureADJoin.localAdmins.enableGlobalAdmins": True}


def test_passes_when_global_admins_are_not_added():
    policy = graph_body("policies-deviceregistrationpolicy")
    policy["azureADJoin"]["localAdmins"]["enableGlobalAdmins"] = False
    assert run(check, device_registration_policy=policy).status is Status.PASS
