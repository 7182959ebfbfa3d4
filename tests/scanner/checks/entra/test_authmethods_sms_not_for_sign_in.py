import pytest

from scanner.checks import Status
from scanner.checks.entra.authmethods import sms_not_for_sign_in as check
from tests.scanner.checks.conftest import graph_body, run


def _policy():
    return graph_body("policies-authenticationmethodspolicy")


def _sms(policy):
    return next(c for c in policy["authenticationMethodConfigurations"] if c["id"] == "Sms")


def test_fails_on_documented_example_where_sms_signs_in_all_users():
    verdict = run(check, auth_methods_policy=_policy())
    assert (verdict.status, verdict.reason) == (Status.FAIL, None)
    assert verdict.affected == ["all_users"]


def test_passes_when_no_target_may_use_sms_for_sign_in():
    policy = _policy()
    _sms(policy)["includeTargets"][0]["isUsableForSignIn"] = False
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.PASS, None)


def test_passes_when_sms_is_off():
    policy = _policy()
    _sms(policy)["state"] = "disabled"
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.PASS, "sms_disabled")


def test_missing_sms_configuration_is_an_error_not_a_pass():
    policy = _policy()
    policy["authenticationMethodConfigurations"].remove(_sms(policy))
    with pytest.raises(KeyError):
        run(check, auth_methods_policy=policy)
