import pytest

from scanner.checks import Status
from scanner.checks.entra.devices import laps_enabled as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_documented_policy_where_laps_is_off():
    verdict = run(check, device_registration_policy=graph_body("policies-deviceregistrationpolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"localAdminPassword.isEnabled": False}


def test_passes_when_laps_is_on():
    policy = graph_body("policies-deviceregistrationpolicy")
    policy["localAdminPassword"]["isEnabled"] = True
    assert run(check, device_registration_policy=policy).status is Status.PASS


def test_missing_field_is_an_error_not_a_pass():
    policy = graph_body("policies-deviceregistrationpolicy")
    del policy["localAdminPassword"]
    with pytest.raises(KeyError):
        run(check, device_registration_policy=policy)
