import pytest

from scanner.checks import Status
from scanner.checks.entra.authz import bitlocker_keys_restricted as check
from tests.scanner.checks.conftest import graph_body, run


def _policy(value: object) -> dict:
    # The documented example omits allowedToReadBitlockerKeysForOwnedDevice; a live tenant sends it.
    policy = graph_body("policies-authorizationpolicy")
    policy["defaultUserRolePermissions"]["allowedToReadBitlockerKeysForOwnedDevice"] = value
    return policy


def test_passes_when_bitlocker_key_reading_is_off():
    verdict = run(check, authorization_policy=_policy(False))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice": False}


def test_fails_when_bitlocker_key_reading_is_allowed():
    assert run(check, authorization_policy=_policy(True)).status is Status.FAIL


def test_field_absent_as_in_the_doc_example_is_an_error_not_a_pass():
    with pytest.raises(KeyError):
        run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
