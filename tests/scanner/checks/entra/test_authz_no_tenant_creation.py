import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import no_tenant_creation as check
from tests.scanner.checks.conftest import graph_body, run


def _policy(value: object) -> dict:
    # The documented example omits allowedToCreateTenants; a live tenant sends it.
    policy = graph_body("policies-authorizationpolicy")
    policy["defaultUserRolePermissions"]["allowedToCreateTenants"] = value
    return policy


def test_passes_when_tenant_creation_is_off():
    verdict = run(check, authorization_policy=_policy(False))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"defaultUserRolePermissions.allowedToCreateTenants": False}


def test_fails_when_tenant_creation_is_allowed():
    assert run(check, authorization_policy=_policy(True)).status is Status.FAIL


def test_field_absent_as_in_the_doc_example_is_an_error_not_a_pass():
    with pytest.raises(KeyError):
        run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
