import pytest

from scanner.checks import Status
from scanner.checks.entra.guests import access_restricted as check
from tests.scanner.checks.conftest import graph_body, run

RESTRICTED = "2af84b1e-32c8-42b7-82bc-daa82404023b"
LIMITED = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
MEMBER_LIKE = "a0b1b346-4d3e-4e8b-98f8-753987be4970"


def _policy(role_id: str) -> dict:
    # The documented example omits guestUserRoleId; a live tenant sends it.
    policy = graph_body("policies-authorizationpolicy")
    policy["guestUserRoleId"] = role_id
    return policy


def test_passes_with_most_restrictive_guest_role():
    verdict = run(check, authorization_policy=_policy(RESTRICTED))
    assert (verdict.status, verdict.reason) == (Status.PASS, "restricted")


def test_passes_with_limited_guest_role_as_scubagear_does():
    verdict = run(check, authorization_policy=_policy(LIMITED))
    assert (verdict.status, verdict.reason) == (Status.PASS, "limited")


def test_fails_when_guests_have_member_like_access():
    verdict = run(check, authorization_policy=_policy(MEMBER_LIKE))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"guestUserRoleId": MEMBER_LIKE}


def test_field_absent_as_in_the_doc_example_is_an_error_not_a_pass():
    with pytest.raises(KeyError):
        run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
