import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import msol_powershell_blocked as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_documented_policy_where_the_setting_is_null():
    verdict = run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"blockMsolPowerShell": None}


def test_fails_when_explicitly_not_blocked():
    policy = graph_body("policies-authorizationpolicy")
    policy["blockMsolPowerShell"] = False
    assert run(check, authorization_policy=policy).status is Status.FAIL


def test_passes_when_blocked():
    policy = graph_body("policies-authorizationpolicy")
    policy["blockMsolPowerShell"] = True
    assert run(check, authorization_policy=policy).status is Status.PASS


def test_missing_field_is_an_error_not_a_pass():
    policy = graph_body("policies-authorizationpolicy")
    del policy["blockMsolPowerShell"]
    with pytest.raises(KeyError):
        run(check, authorization_policy=policy)
