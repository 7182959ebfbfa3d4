from scanner.checks import Status
from scanner.checks.users import inactive_guests as check
from tests.scanner.checks.conftest import graph_value, run

JOHN = "john_fabrikam.com#EXT#@contoso.onmicrosoft.com"


def test_fails_on_a_guest_unused_for_longer_than_the_threshold():
    verdict = run(check, users_sign_in=graph_value("users-signinactivity"))
    assert verdict.status is Status.FAIL
    assert verdict.affected == [JOHN]
    assert verdict.evidence["accounts_checked"] == 2


def test_passes_when_every_guest_signed_in_recently():
    users = graph_value("users-signinactivity")
    john = next(u for u in users if u["userPrincipalName"] == JOHN)
    john["signInActivity"]["lastSuccessfulSignInDateTime"] = "2026-10-20T10:00:00Z"
    assert run(check, users_sign_in=users).status is Status.PASS
