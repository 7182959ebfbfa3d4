from scanner.checks import Status
from scanner.checks.entra.authmethods import weak_methods_disabled as check
from tests.scanner.checks.conftest import graph_body, run

HARDENED = "policies-authenticationmethodspolicy-hardened"


def _method(policy, method_id):
    return next(c for c in policy["authenticationMethodConfigurations"] if c["id"] == method_id)


def test_fails_on_documented_example_with_sms_and_email_on():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Email", "Sms"]


def test_passes_when_all_weak_methods_are_off():
    verdict = run(check, auth_methods_policy=graph_body(HARDENED))
    assert verdict.status is Status.PASS
    assert verdict.evidence["states"] == {"Sms": "disabled", "Voice": "disabled", "Email": "disabled"}


def test_fails_when_voice_is_on():
    policy = graph_body(HARDENED)
    _method(policy, "Voice")["state"] = "enabled"
    verdict = run(check, auth_methods_policy=policy)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Voice"]


def test_a_method_the_policy_does_not_list_is_not_a_failure():
    policy = graph_body(HARDENED)
    policy["authenticationMethodConfigurations"].remove(_method(policy, "Voice"))
    verdict = run(check, auth_methods_policy=policy)
    assert verdict.status is Status.PASS
    assert "Voice" not in verdict.evidence["states"]
