import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import user_consent_restricted as check
from tests.scanner.checks.conftest import graph_body, run


def _with_grant_policies(*ids: str) -> dict:
    policy = graph_body("policies-authorizationpolicy")
    policy["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"] = list(ids)
    return policy


def test_passes_on_documented_policy_without_self_consent():
    verdict = run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"defaultUserRolePermissions.permissionGrantPoliciesAssigned": ["just-user-read"]}


def test_passes_when_users_may_consent_only_to_low_risk_permissions():
    policy = _with_grant_policies("ManagePermissionGrantsForSelf.microsoft-user-default-low")
    assert run(check, authorization_policy=policy).status is Status.PASS


@pytest.mark.parametrize(
    "grant_policy",
    [
        "ManagePermissionGrantsForSelf.microsoft-user-default-legacy",
        "ManagePermissionGrantsForSelf.microsoft-user-default-recommended",
        "managepermissiongrantsforself.custom-policy",
    ],
)
def test_fails_when_users_may_consent_beyond_low_risk(grant_policy):
    policy = _with_grant_policies("ManagePermissionGrantsForOwnedResource.team", grant_policy)
    verdict = run(check, authorization_policy=policy)
    assert verdict.status is Status.FAIL
    assert verdict.affected == [grant_policy]


def test_missing_field_is_an_error_not_a_pass():
    policy = graph_body("policies-authorizationpolicy")
    del policy["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"]
    with pytest.raises(KeyError):
        run(check, authorization_policy=policy)
