import pytest

from scanner.checks import Status
from scanner.checks.entra.guests import invite_restricted as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_documented_policy_where_everyone_may_invite():
    verdict = run(check, authorization_policy=graph_body("policies-authorizationpolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"allowInvitesFrom": "everyone"}


def test_fails_when_members_may_invite():
    policy = graph_body("policies-authorizationpolicy")
    policy["allowInvitesFrom"] = "adminsGuestInvitersAndAllMembers"
    assert run(check, authorization_policy=policy).status is Status.FAIL


@pytest.mark.parametrize("setting", ["adminsAndGuestInviters", "none"])
def test_passes_when_only_admins_or_nobody_may_invite(setting):
    policy = graph_body("policies-authorizationpolicy")
    policy["allowInvitesFrom"] = setting
    assert run(check, authorization_policy=policy).status is Status.PASS
