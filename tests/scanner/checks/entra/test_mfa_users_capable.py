from scanner.checks import Status
from scanner.checks.entra.mfa import users_capable as check
from tests.scanner.checks.conftest import graph_value, run

ALEX = "86462606-fde0-4fc4-9e0c-a20eb73e54c6"
ALLAN = "c6ad1942-4afa-47f8-8d48-afb5d8d69d2f"


def _data():
    return {
        "registration_details": graph_value("reports-authenticationmethods-userregistrationdetails"),
        "users": graph_value("users-select-directory"),
    }


def _by_id(items, object_id):
    return next(i for i in items if i["id"] == object_id)


def test_passes_when_every_reported_member_is_capable():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"enabled_members": 5, "members_without_registration_row": 4, "not_mfa_capable": 0}


def test_fails_when_an_enabled_member_is_not_capable():
    data = _data()
    _by_id(data["registration_details"], ALEX)["isMfaCapable"] = False
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["AlexW@Contoso.com"]


def test_disabled_member_is_not_counted():
    data = _data()
    _by_id(data["registration_details"], ALEX)["isMfaCapable"] = False
    _by_id(data["users"], ALEX)["accountEnabled"] = False
    assert run(check, **data).status is Status.PASS


def test_guest_is_not_counted_but_the_same_account_as_member_is():
    data = _data()
    _by_id(data["users"], ALLAN)["userType"] = "Member"
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["AllanD@Contoso.com"]
