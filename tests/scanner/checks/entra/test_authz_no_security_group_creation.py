import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import no_security_group_creation as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_documented_default_where_users_may_create_security_groups():
    verdict = run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"defaultUserRolePermissions.allowedToCreateSecurityGroups": True}


def test_passes_when_security_group_creation_is_off():
    policy = graph_body("policies-authorizationpolicy")
    policy["defaultUserRolePermissions"]["allowedToCreateSecurityGroups"] = False
    assert run(check, authorization_policy=policy).status is Status.PASS


def test_missing_field_is_an_error_not_a_pass():
    policy = graph_body("policies-authorizationpolicy")
    del policy["defaultUserRolePermissions"]["allowedToCreateSecurityGroups"]
    with pytest.raises(KeyError):
        run(check, authorization_policy=policy)
