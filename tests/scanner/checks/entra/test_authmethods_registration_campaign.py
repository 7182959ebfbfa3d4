from scanner.checks import Status
from scanner.checks.entra.authmethods import registration_campaign as check
from tests.scanner.checks.conftest import graph_body, run

HARDENED = "policies-authenticationmethodspolicy-hardened"


def test_fails_on_documented_microsoft_managed_default():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "campaign_not_enabled")
    assert verdict.evidence["state"] == "default"


def test_passes_when_campaign_is_enabled():
    verdict = run(check, auth_methods_policy=graph_body(HARDENED))
    assert verdict.status is Status.PASS


def test_fails_when_campaign_is_disabled():
    policy = graph_body(HARDENED)
    policy["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]["state"] = "disabled"
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "campaign_not_enabled")
