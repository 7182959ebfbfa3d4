"""Which users hold a highly privileged directory role, directly or through a role-assignable group.

Shared by the ``entra.roles`` checks; the role list is ``scanner.collections.PRIVILEGED_ROLE_IDS``.
Decisions, with their reasons:

- Active assignments (``roleAssignments``) count, and, for the checks that use ``holders_with_eligible``,
  everyone one activation away from a role (read only where Entra ID P2 exists: elsewhere nobody can be
  eligible), as ScubaGear counts them: PIM-eligible users, the members of PIM-eligible groups
  (``eligible_group_members``), and the users eligible through PIM for Groups for membership *or
  ownership* of a group holding a role (``group_pim_eligibility``: an owner can add themselves, and
  ScubaGear reads every eligibility of the group), with the members of groups eligible there
  (``pim_nested_group_members``). A group whose members were not read is listed in
  ``unexpanded_groups``, never ignored silently.
- An assignment counts whatever its ``directoryScopeId``: a User Administrator scoped to an
  administrative unit still controls the accounts in it (Global Administrator cannot be scoped).
- A group's users come from ``privileged_group_members`` (``transitiveMembers``: nested groups are
  already flattened). Members typed as anything but a user (groups, service principals, devices) are
  skipped. An untyped member is read as a user: the collection marks non-users with ``@odata.type``.
- Service principals holding a role are not users and are not counted here.
- An assignment whose ``principal`` is null (its principal was deleted) grants nothing and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.collections import GLOBAL_ADMIN_ROLE_ID, PRIVILEGED_ROLE_IDS

__all__ = ["ELIGIBLE_COLLECTIONS", "RoleHolder", "directory_entries", "global_admins", "holders_with_eligible",
           "privileged_users"]

#: What ``holders_with_eligible`` reads (the checks that call it declare these).
ELIGIBLE_COLLECTIONS = ("role_assignments", "privileged_group_members", "role_eligibility_instances",
                        "eligible_group_members", "group_pim_eligibility", "pim_nested_group_members")

_USER = "#microsoft.graph.user"
_GROUP = "#microsoft.graph.group"


@dataclass(frozen=True)
class RoleHolder:
    """A user holding at least one highly privileged role.

    Attributes:
        id: the user's object id.
        name: the userPrincipalName where Graph sent one, else the object id (a label for people).
        role_ids: role template ids held, directly or through a group.
        via_groups: ids of the groups through which a role is held (empty when held directly only).
    """

    id: str
    name: str
    role_ids: frozenset[str]
    via_groups: frozenset[str]


def privileged_users(
    role_assignments: Iterable[dict[str, Any]],
    group_members: Mapping[str, list[dict[str, Any]]],
    eligible: Iterable[dict[str, Any]] = (),
    unexpanded_groups: set[str] | None = None,
) -> dict[str, RoleHolder]:
    """Every user holding a highly privileged role, by object id.

    Args:
        role_assignments: the ``role_assignments`` collection (``principal`` expanded).
        group_members: the ``privileged_group_members`` collection (group id to its transitive members).
        eligible: the ``role_eligibility_instances`` collection (same shape), for checks that count them.
        unexpanded_groups: filled with eligible groups whose members were not read.

    Raises:
        KeyError: an assignment lacks a field, or a group holding a role has no member list.
    """
    names: dict[str, str] = {}
    roles: dict[str, set[str]] = {}
    groups: dict[str, set[str]] = {}

    def grant(user: dict[str, Any], role_id: str, group_id: str | None) -> None:
        uid = user["id"]
        # The label only: the documented example of an expanded principal carries no userPrincipalName.
        names.setdefault(uid, user.get("userPrincipalName") or uid)
        roles.setdefault(uid, set()).add(role_id)
        groups.setdefault(uid, set())
        if group_id is not None:
            groups[uid].add(group_id)

    eligible_ids = set()
    for assignment in [*role_assignments, *({**e, "_eligible": True} for e in eligible)]:
        role_id = assignment["roleDefinitionId"]
        principal = assignment["principal"]
        if role_id not in PRIVILEGED_ROLE_IDS or principal is None:
            continue
        kind = principal["@odata.type"]
        if kind == _USER:
            grant(principal, role_id, None)
        elif kind == _GROUP:
            if assignment.get("_eligible") and assignment["principalId"] not in group_members:
                eligible_ids.add(assignment["principalId"])
                continue
            for member in group_members[assignment["principalId"]]:
                if member.get("@odata.type", _USER) == _USER:
                    grant(member, role_id, assignment["principalId"])
    if unexpanded_groups is not None:
        unexpanded_groups.update(eligible_ids)
    return {
        uid: RoleHolder(uid, names[uid], frozenset(roles[uid]), frozenset(groups[uid])) for uid in sorted(names)
    }


def holders_with_eligible(data: Mapping[str, Any]) -> tuple[dict[str, RoleHolder], set[str]]:
    """Active and eligible holders (see the module's note), and the groups whose members were not read.

    Raises:
        KeyError: a PIM for Groups eligibility lacks its principal or principal id.
    """
    members: dict[str, list[dict[str, Any]]] = {}
    for source in (data["privileged_group_members"], data["eligible_group_members"]):
        for gid, listed in source.items():
            members.setdefault(gid, []).extend(listed)
    unexpanded: set[str] = set()
    for gid, instances in data["group_pim_eligibility"].items():
        for instance in instances:
            principal = instance["principal"]
            if principal is None:  # a deleted principal grants nothing
                continue
            kind = principal.get("@odata.type", _USER)
            if kind == _GROUP and instance["principalId"] in data["pim_nested_group_members"]:
                members.setdefault(gid, []).extend(data["pim_nested_group_members"][instance["principalId"]])
            elif kind == _GROUP:
                unexpanded.add(instance["principalId"])
            elif kind == _USER:
                members.setdefault(gid, []).append(principal)
    holders = privileged_users(data["role_assignments"], members, data["role_eligibility_instances"], unexpanded)
    return holders, unexpanded


def global_admins(holders: Mapping[str, RoleHolder]) -> list[RoleHolder]:
    """The holders of Global Administrator."""
    return [h for h in holders.values() if GLOBAL_ADMIN_ROLE_ID in h.role_ids]


def directory_entries(users: Iterable[dict[str, Any]], holders: Mapping[str, RoleHolder]) -> dict[str, dict[str, Any]]:
    """The user objects (from ``users`` or ``users_sign_in``) of the given holders, by id.

    Raises:
        KeyError: a holder is missing from the user list: the two reads disagree, and a verdict built on
            half the admins would mislead (the runner reports ``malformed_data``).
    """
    by_id = {u["id"]: u for u in users}
    missing = sorted(set(holders) - set(by_id))
    if missing:
        raise KeyError(f"privileged users missing from the user list: {missing}")
    return {uid: by_id[uid] for uid in holders}
