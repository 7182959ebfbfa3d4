import pytest

from scanner.checks import Status, TenantConfig
from scanner.checks.users import inactive_members as check
from tests.scanner.checks.conftest import graph_value, run


def _users():
    return graph_value("users-signinactivity")


def _user(users, upn):
    return next(u for u in users if u["userPrincipalName"] == upn)


def test_fails_on_stale_and_never_used_enabled_members():
    verdict = run(check, users_sign_in=_users())
    assert verdict.status is Status.FAIL
    # AlexW last signed in in May; info@ never signed in (no signInActivity) and is years old.
    assert verdict.affected == ["AlexW@contoso.com", "info@contoso.com"]
    assert verdict.evidence["accounts_checked"] == 4
    assert verdict.evidence["cutoff"] == "2026-08-03T12:00:00+00:00"


def test_passes_when_every_member_signed_in_within_the_threshold():
    verdict = run(check, TenantConfig(inactive_days=3650), users_sign_in=_users())
    assert verdict.status is Status.PASS
    assert verdict.evidence["inactive"] == 0


def test_ignores_disabled_accounts_until_they_are_enabled():
    users = _users()
    _user(users, "MeganB@contoso.com")["accountEnabled"] = True
    assert "MeganB@contoso.com" in run(check, users_sign_in=users).affected


def test_a_new_account_that_never_signed_in_becomes_inactive_once_old():
    users = _users()
    _user(users, "LeeG@contoso.com")["createdDateTime"] = "2026-01-05T09:00:00Z"
    assert "LeeG@contoso.com" in run(check, users_sign_in=users).affected


def test_null_creation_date_counts_as_old_for_an_account_that_never_signed_in():
    users = _users()
    _user(users, "LeeG@contoso.com")["createdDateTime"] = None
    assert "LeeG@contoso.com" in run(check, users_sign_in=users).affected


def test_a_recent_sign_in_keeps_an_old_account_active():
    users = _users()
    _user(users, "AlexW@contoso.com")["signInActivity"]["lastSuccessfulSignInDateTime"] = "2026-10-01T08:00:00Z"
    assert run(check, users_sign_in=users).affected == ["info@contoso.com"]


def test_sign_in_activity_without_the_successful_sign_in_field_is_an_error():
    users = _users()
    del _user(users, "AlexW@contoso.com")["signInActivity"]["lastSuccessfulSignInDateTime"]
    with pytest.raises(KeyError):
        run(check, users_sign_in=users)
