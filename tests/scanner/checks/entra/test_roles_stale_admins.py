from scanner.checks import Status, TenantConfig
from scanner.checks.entra.roles import stale_admins as check
from tests.scanner.checks.conftest import graph_value, run

JOEY = "ace08ec9-aa11-4ada-9145-addf0398233e"
MEGAN = "48d31887-5fad-4d73-a9f5-3c356e68a038"
ALEX = "86462606-fde0-4fc4-9e0c-a20eb73e54c6"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "users_sign_in": graph_value("users-select-signinactivity"),
    }


def _user(data, user_id):
    return next(u for u in data["users_sign_in"] if u["id"] == user_id)


def test_passes_when_every_admin_signed_in_within_45_days():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"threshold_days": 45, "enabled_privileged_users": 4, "stale": {}}


def test_fails_for_an_admin_last_seen_three_months_ago():
    data = _data()
    _user(data, MEGAN)["signInActivity"]["lastSuccessfulSignInDateTime"] = "2026-08-01T10:00:00Z"
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["MeganB@contoso.com"]
    assert verdict.evidence["stale"] == {"MeganB@contoso.com": "2026-08-01T10:00:00Z"}


def test_threshold_comes_from_tenant_config():
    verdict = run(check, config=TenantConfig(stale_admin_days=10), **_data())
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["MeganB@contoso.com"]


def test_disabled_admin_is_not_counted():
    data = _data()
    _user(data, MEGAN)["signInActivity"]["lastSuccessfulSignInDateTime"] = "2026-08-01T10:00:00Z"
    _user(data, MEGAN)["accountEnabled"] = False
    assert run(check, **data).status is Status.PASS


def test_old_admin_who_never_signed_in_is_stale():
    data = _data()
    _user(data, JOEY)["signInActivity"] = None
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.evidence["stale"] == {"joeyc@contoso.com": None}


def test_admin_without_sign_in_activity_property_is_read_as_never_signed_in():
    data = _data()
    del _user(data, JOEY)["signInActivity"]
    assert run(check, **data).affected == ["joeyc@contoso.com"]


def test_new_admin_who_never_signed_in_is_not_stale_yet():
    data = _data()
    _user(data, JOEY)["signInActivity"] = None
    _user(data, JOEY)["createdDateTime"] = "2026-10-25T08:00:00Z"
    assert run(check, **data).status is Status.PASS


def test_admin_with_unknown_creation_date_who_never_signed_in_is_stale():
    data = _data()
    _user(data, JOEY)["signInActivity"] = None
    _user(data, JOEY)["createdDateTime"] = None
    assert run(check, **data).affected == ["joeyc@contoso.com"]


def test_stale_user_without_a_role_is_ignored():
    data = _data()
    _user(data, ALEX)["signInActivity"]["lastSuccessfulSignInDateTime"] = "2025-01-01T00:00:00Z"
    assert run(check, **data).status is Status.PASS
