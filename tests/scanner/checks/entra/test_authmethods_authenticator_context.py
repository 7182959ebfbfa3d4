import pytest

from scanner.checks import Status
from scanner.checks.entra.authmethods import authenticator_context as check
from tests.scanner.checks.conftest import graph_body, run

HARDENED = "policies-authenticationmethodspolicy-hardened"


def _authenticator(policy):
    return next(c for c in policy["authenticationMethodConfigurations"] if c["id"] == "MicrosoftAuthenticator")


def test_not_applicable_when_authenticator_is_off_as_in_documented_example():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy"))
    assert (verdict.status, verdict.reason) == (Status.NOT_APPLICABLE, "authenticator_disabled")


def test_fails_when_enabled_without_feature_settings():
    policy = graph_body("policies-authenticationmethodspolicy")
    _authenticator(policy)["state"] = "enabled"
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "feature_settings_absent")


def test_passes_when_app_and_location_are_shown_to_all_users():
    verdict = run(check, auth_methods_policy=graph_body(HARDENED))
    assert verdict.status is Status.PASS
    assert verdict.affected == []


def test_fails_when_location_is_left_to_microsoft_default():
    policy = graph_body(HARDENED)
    _authenticator(policy)["featureSettings"]["displayLocationInformationRequiredState"]["state"] = "default"
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, None)
    assert verdict.affected == ["displayLocationInformationRequiredState"]


def test_fails_when_app_name_is_shown_to_one_group_only():
    policy = graph_body(HARDENED)
    target = _authenticator(policy)["featureSettings"]["displayAppInformationRequiredState"]["includeTarget"]
    target["id"] = "3f9b2c1d-0a8e-4c7b-9d6f-5e4a3b2c1d0e"
    verdict = run(check, auth_methods_policy=policy)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["displayAppInformationRequiredState"]


def test_fails_when_authenticator_offers_software_oath_codes_as_scubagear_3_3v2_rules():
    # ScubaGear MS.AAD.3.3v2 (AADConfig.rego, MSAuthProperlyConfigured): IsSoftwareOathEnabled must be false.
    policy = graph_body(HARDENED)
    _authenticator(policy)["isSoftwareOathEnabled"] = True
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "software_oath_enabled")
    assert verdict.affected == ["isSoftwareOathEnabled"]


def test_a_missing_software_oath_flag_is_an_error_not_a_pass():
    policy = graph_body(HARDENED)
    del _authenticator(policy)["isSoftwareOathEnabled"]
    with pytest.raises(KeyError):
        run(check, auth_methods_policy=policy)
