from scanner.checks import Status
from scanner.checks.entra.roles import no_guest_admins as check
from tests.scanner.checks.conftest import graph_value, run

LYNNE = "4dfd4f1c-3a7d-4a55-9f50-2d1a1c0f8e21"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "users": graph_value("users-select-directory"),
    }


def test_passes_when_the_only_guest_holds_no_role():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"privileged_users": 4, "guests": 0}


def test_fails_for_a_guest_security_administrator():
    data = _data()
    next(u for u in data["users"] if u["id"] == LYNNE)["userType"] = "Guest"
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["LynneR@contoso.com"]
