import pytest

from scanner.checks.entra.roles._roles import directory_entries, global_admins, privileged_users
from scanner.collections import GLOBAL_ADMIN_ROLE_ID
from tests.scanner.checks.conftest import graph_value

JOEY = "ace08ec9-aa11-4ada-9145-addf0398233e"
MEGAN = "48d31887-5fad-4d73-a9f5-3c356e68a038"
LYNNE = "4dfd4f1c-3a7d-4a55-9f50-2d1a1c0f8e21"
ADELE = "1e5b7c2d-9a44-4d1b-b0c9-7e1f3a2d6b54"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def _assignments():
    return graph_value("rolemanagement-directory-roleassignments-privileged")


def _members():
    return {GROUP: graph_value("groups-transitivemembers-privileged")}


def _by_principal(assignments, principal_id):
    return next(a for a in assignments if a["principalId"] == principal_id)


def test_direct_users_and_group_members_hold_roles_service_principals_do_not():
    holders = privileged_users(_assignments(), _members())
    assert sorted(holders) == sorted([JOEY, MEGAN, LYNNE, ADELE])
    assert holders[ADELE].role_ids == {EXCHANGE_ADMIN}
    assert holders[ADELE].via_groups == {GROUP}
    assert holders[MEGAN].via_groups == frozenset()
    assert {h.id for h in global_admins(holders)} == {JOEY, MEGAN}


def test_name_falls_back_to_the_id_when_graph_sent_no_upn():
    holders = privileged_users(_assignments(), _members())
    assert holders[JOEY].name == JOEY
    assert holders[MEGAN].name == "MeganB@contoso.com"


def test_non_privileged_roles_are_ignored():
    assignments = _assignments()
    _by_principal(assignments, LYNNE)["roleDefinitionId"] = DIRECTORY_READERS
    assert LYNNE not in privileged_users(assignments, _members())


def test_non_user_group_members_are_skipped():
    members = _members()
    members[GROUP].append({"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp-1", "displayName": "Tool"})
    members[GROUP].append({"@odata.type": "#microsoft.graph.group", "id": "group-1", "displayName": "Nested"})
    assert sorted(privileged_users(_assignments(), members)) == sorted([JOEY, MEGAN, LYNNE, ADELE])


def test_user_holding_a_role_twice_is_one_holder_with_both_roles():
    assignments = _assignments()
    _by_principal(assignments, GROUP)["roleDefinitionId"] = GLOBAL_ADMIN_ROLE_ID
    members = _members()
    members[GROUP].append(dict(members[GROUP][0], id=MEGAN, userPrincipalName="MeganB@contoso.com"))
    holders = privileged_users(assignments, members)
    assert holders[MEGAN].role_ids == {GLOBAL_ADMIN_ROLE_ID}
    assert holders[MEGAN].via_groups == {GROUP}
    assert len(global_admins(holders)) == 3


def test_assignment_to_a_deleted_principal_is_skipped():
    assignments = _assignments()
    _by_principal(assignments, LYNNE)["principal"] = None
    assert LYNNE not in privileged_users(assignments, _members())


def test_privileged_group_without_member_list_is_an_error():
    with pytest.raises(KeyError):
        privileged_users(_assignments(), {})


def test_privileged_user_missing_from_the_user_list_is_an_error():
    holders = privileged_users(_assignments(), _members())
    users = [u for u in graph_value("users-select-directory") if u["id"] != LYNNE]
    with pytest.raises(KeyError, match=LYNNE):
        directory_entries(users, holders)
