from scanner.checks import Status
from scanner.checks.entra.authmethods import tap_one_time as check
from tests.scanner.checks.conftest import graph_body, run


def _tap(policy):
    return next(c for c in policy["authenticationMethodConfigurations"] if c["id"] == "TemporaryAccessPass")


def test_passes_when_tap_is_off_as_in_documented_example():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy"))
    assert (verdict.status, verdict.reason) == (Status.PASS, "tap_disabled")


def test_fails_when_tap_is_enabled_and_reusable():
    policy = graph_body("policies-authenticationmethodspolicy")
    _tap(policy)["state"] = "enabled"
    verdict = run(check, auth_methods_policy=policy)
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"state": "enabled", "isUsableOnce": False}


def test_passes_when_tap_is_enabled_and_one_time():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy-hardened"))
    assert (verdict.status, verdict.reason) == (Status.PASS, None)
