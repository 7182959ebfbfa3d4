import pytest

from scanner.checks import Status
from scanner.checks.entra.roles import admins_cloud_only as check
from tests.scanner.checks.conftest import NO_PIM_GROUPS, graph_value, run

MEGAN = "48d31887-5fad-4d73-a9f5-3c356e68a038"
ADELE = "1e5b7c2d-9a44-4d1b-b0c9-7e1f3a2d6b54"
ALEX = "86462606-fde0-4fc4-9e0c-a20eb73e54c6"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "role_eligibility_instances": [],
        **NO_PIM_GROUPS,  # nobody eligible (or a tenant without Entra ID P2)
        "users": graph_value("users-select-directory"),
    }


def _user(data, user_id):
    return next(u for u in data["users"] if u["id"] == user_id)


def test_passes_when_every_admin_is_cloud_only():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"privileged_users": 4, "synchronised": 0}


def test_fails_for_a_synchronised_global_admin():
    data = _data()
    _user(data, MEGAN)["onPremisesSyncEnabled"] = True
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["MeganB@contoso.com"]


def test_fails_for_a_synchronised_admin_holding_the_role_through_a_group():
    data = _data()
    _user(data, ADELE)["onPremisesSyncEnabled"] = True
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["AdeleV@contoso.com"]


def test_synchronised_user_without_a_role_is_ignored():
    data = _data()
    _user(data, ALEX)["onPremisesSyncEnabled"] = True
    assert run(check, **data).status is Status.PASS


def test_missing_sync_field_is_an_error_not_a_pass():
    data = _data()
    del _user(data, MEGAN)["onPremisesSyncEnabled"]
    with pytest.raises(KeyError):
        run(check, **data)


def test_fails_for_an_admin_anchored_on_premises_after_sync_was_turned_off():
    # ScubaGear MS.AAD.7.3v1 (AADConfig.rego, FederatedAdmins): a privileged user with an
    # OnPremisesImmutableId fails, whatever onPremisesSyncEnabled says.
    data = _data()
    _user(data, MEGAN)["onPremisesImmutableId"] = "dGhpcyBpcyBhbiBpbW11dGFibGUgaWQ="
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["MeganB@contoso.com"]


def test_missing_immutable_id_is_an_error_not_a_pass():
    data = _data()
    del _user(data, MEGAN)["onPremisesImmutableId"]
    with pytest.raises(KeyError):
        run(check, **data)


def test_an_eligible_admin_anchored_on_premises_fails_as_scubagear_7_3_rules():
    # ScubaGear MS.AAD.7.3v1 includes PIM-eligible holders (P2): Alex holds no active role but is eligible
    # for Global Administrator, and is synchronised. We used to ignore eligible holders.
    data = _data()
    _user(data, ALEX)["onPremisesSyncEnabled"] = True
    data["role_eligibility_instances"] = [{
        "id": "elig-alex", "principalId": ALEX, "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        "directoryScopeId": "/", "appScopeId": None, "memberType": "Direct",
        "principal": {"@odata.type": "#microsoft.graph.user", "id": ALEX, "userPrincipalName": "AlexW@contoso.com"}}]
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == [_user(data, ALEX)["userPrincipalName"]]  # the directory's spelling
