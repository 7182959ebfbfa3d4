import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import no_risky_app_consent as check
from tests.scanner.checks.conftest import graph_body, run


def test_passes_on_documented_policy_where_risky_consent_is_off():
    verdict = run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"allowUserConsentForRiskyApps": False}


def test_passes_when_setting_is_null_because_the_default_blocks():
    policy = graph_body("policies-authorizationpolicy")
    policy["allowUserConsentForRiskyApps"] = None
    assert run(check, authorization_policy=policy).status is Status.PASS


def test_fails_when_users_may_consent_to_risky_apps():
    policy = graph_body("policies-authorizationpolicy")
    policy["allowUserConsentForRiskyApps"] = True
    assert run(check, authorization_policy=policy).status is Status.FAIL


def test_missing_field_is_an_error_not_a_pass():
    policy = graph_body("policies-authorizationpolicy")
    del policy["allowUserConsentForRiskyApps"]
    with pytest.raises(KeyError):
        run(check, authorization_policy=policy)
