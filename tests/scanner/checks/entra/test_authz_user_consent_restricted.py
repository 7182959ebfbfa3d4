import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import user_consent_restricted as check
from tests.scanner.checks.conftest import graph_body, graph_value
from tests.scanner.checks.conftest import run as run_check

CLASSIFICATIONS = "serviceprincipals-delegatedpermissionclassifications"


def run(check, authorization_policy, classifications=None):
    return run_check(check, authorization_policy=authorization_policy,
                     graph_permission_classifications=classifications if classifications is not None
                     else graph_value(CLASSIFICATIONS))


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


def test_the_low_risk_policy_fails_when_a_risky_permission_is_classified_low():
    # ScubaGear MS.AAD.5.2v1 (BadDefaultGrantPolicies): the low-risk policy with risky permissions classified
    # low fails. Mail.Read classified low lets any user hand their mailbox to an app. We used to pass this.
    classifications = graph_value(CLASSIFICATIONS)
    classifications.append({**classifications[0], "id": "x", "permissionId": "570282fd-fa5c-430d-a7fd-fc8dc98a9dca",
                            "permissionName": "Mail.Read"})
    policy = _with_grant_policies("ManagePermissionGrantsForSelf.microsoft-user-default-low")
    verdict = run(check, authorization_policy=policy, classifications=classifications)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "risky_low_classification")
    assert verdict.affected == ["Mail.Read"]
    assert verdict.evidence["classified_low"] == ["Mail.Read", "User.Read"]


def test_classifications_do_not_matter_without_the_low_risk_policy():
    risky = [{"id": "x", "permissionId": "p", "permissionName": "Files.Read.All", "classification": "low"}]
    assert run(check, authorization_policy=graph_body("policies-authorizationpolicy"),
               classifications=risky).status is Status.PASS


def test_a_classification_without_a_name_is_an_error_not_a_pass():
    policy = _with_grant_policies("ManagePermissionGrantsForSelf.microsoft-user-default-low")
    with pytest.raises(KeyError):
        run(check, authorization_policy=policy, classifications=[{"id": "x", "classification": "low"}])
