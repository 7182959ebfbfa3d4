import pytest

from scanner.checks import Status
from scanner.checks.entra.apps import credential_policy as check
from tests.scanner.checks.conftest import graph_body, run

_BLOCK_PASSWORDS = {
    "restrictionType": "passwordAddition",
    "state": "enabled",
    "maxLifetime": None,
    "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z",
}


def _enforcing_policy() -> dict:
    policy = graph_body("policies-defaultappmanagementpolicy")
    policy["isEnabled"] = True
    policy["applicationRestrictions"]["passwordCredentials"] = [dict(_BLOCK_PASSWORDS)]
    policy["servicePrincipalRestrictions"]["passwordCredentials"] = [dict(_BLOCK_PASSWORDS)]
    return policy


def test_fails_on_documented_default_where_policy_is_disabled():
    verdict = run(check, app_management_policy=graph_body("policies-defaultappmanagementpolicy"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "policy_disabled")


def test_passes_when_enabled_and_password_addition_blocked_for_apps_and_service_principals():
    assert run(check, app_management_policy=_enforcing_policy()).status is Status.PASS


def test_fails_when_the_policy_is_disabled_even_with_restrictions():
    policy = _enforcing_policy()
    policy["isEnabled"] = False
    verdict = run(check, app_management_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "policy_disabled")


def test_fails_when_service_principals_may_still_get_secrets():
    policy = _enforcing_policy()
    policy["servicePrincipalRestrictions"]["passwordCredentials"] = []
    verdict = run(check, app_management_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "password_addition_allowed")
    assert verdict.evidence["applicationRestrictions.passwordAddition"] is True


def test_fails_when_the_restriction_is_switched_off():
    policy = _enforcing_policy()
    policy["applicationRestrictions"]["passwordCredentials"][0]["state"] = "disabled"
    verdict = run(check, app_management_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "password_addition_allowed")


def test_missing_field_is_an_error_not_a_pass():
    policy = _enforcing_policy()
    del policy["servicePrincipalRestrictions"]
    with pytest.raises(KeyError):
        run(check, app_management_policy=policy)
