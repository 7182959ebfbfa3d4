import pytest

from scanner.checks import Status
from scanner.checks.entra.apps import credential_policy as check
from tests.scanner.checks.conftest import graph_body, graph_value
from tests.scanner.checks.conftest import run as run_check

_BLOCK_PASSWORDS = {
    "restrictionType": "passwordAddition",
    "state": "enabled",
    "maxLifetime": None,
    "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z",
}


def run(check, app_management_policy, app_management_policies=None):
    """The check with no custom app-management policy unless a test gives some."""
    return run_check(check, app_management_policy=app_management_policy,
                     app_management_policies=app_management_policies if app_management_policies is not None else [])


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


def test_a_restriction_for_apps_created_after_a_recent_date_leaves_older_apps_free():
    # restrictForAppsCreatedAfterDateTime scopes the block to new apps: every older app may still add
    # secrets, so MS.AAD.5.5v1 ("SHALL NOT allow... to add secrets") is not met. We used to pass it.
    policy = _enforcing_policy()
    for key in ("applicationRestrictions", "servicePrincipalRestrictions"):
        policy[key]["passwordCredentials"][0]["restrictForAppsCreatedAfterDateTime"] = "2024-06-01T00:00:00Z"
    verdict = run(check, app_management_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "new_apps_only")
    assert verdict.evidence["restricted_since"] == ["2024-06-01T00:00:00Z"]


def test_null_and_the_portals_all_apps_date_cover_every_app():
    policy = _enforcing_policy()
    policy["applicationRestrictions"]["passwordCredentials"][0]["restrictForAppsCreatedAfterDateTime"] = None
    assert run(check, app_management_policy=policy).status is Status.PASS


def test_an_enabled_custom_policy_that_allows_secrets_is_an_exemption():
    # The documented custom policy limits secret lifetimes but does not block adding them.
    verdict = run(check, app_management_policy=_enforcing_policy(),
                  app_management_policies=graph_value("policies-appmanagementpolicies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "custom_policy_allows")
    assert verdict.affected == ["Custom app management policy"]


def test_a_disabled_or_blocking_custom_policy_is_no_exemption():
    custom = graph_value("policies-appmanagementpolicies")
    custom[0]["isEnabled"] = False
    assert run(check, app_management_policy=_enforcing_policy(), app_management_policies=custom).status is Status.PASS
    custom = graph_value("policies-appmanagementpolicies")
    custom[0]["restrictions"]["passwordCredentials"].append(dict(_BLOCK_PASSWORDS))
    assert run(check, app_management_policy=_enforcing_policy(), app_management_policies=custom).status is Status.PASS
