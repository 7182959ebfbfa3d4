"""Reading PIM policies (``roleManagementPolicyAssignments`` with rules expanded): of a directory role,
and of the groups holding it.

``role_policy_assignments`` lists the tenant-wide (``scopeId == "/"``) policy assignment of every
directory role; each carries its policy and the policy's rules, keyed by rule ``id``
(``Approval_EndUser_Assignment``, ``Notification_Admin_EndUser_Assignment``...).

A role is also held through groups, and a group's membership can be governed by PIM for Groups with
its own policy (same rule ids): activating membership of a group that holds Global Administrator is
activating Global Administrator. ScubaGear judges those policies with the role's, so we do too
(``group_policy_rules``). A group with no PIM for Groups policy has no activation to judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner.collections import PRIVILEGED_ROLE_IDS

__all__ = ["GROUP_POLICY_COLLECTIONS", "group_policy_rules", "role_policy_rule"]

#: What ``group_policy_rules`` reads (the checks that call it declare these).
GROUP_POLICY_COLLECTIONS = ("role_assignments", "role_eligibility_instances", "group_pim_policies")

_GROUP = "#microsoft.graph.group"


def role_policy_rule(assignments: Iterable[dict[str, Any]], role_id: str, rule_id: str) -> dict[str, Any]:
    """The rule ``rule_id`` of the PIM policy assigned to the role ``role_id``.

    Raises:
        KeyError: no policy assignment for the role, or its policy lacks the rule. Every directory role has a
            policy with every rule once PIM is licensed, so either means the response is not what we expect.
    """
    for assignment in assignments:
        if assignment["roleDefinitionId"] == role_id:
            for rule in assignment["policy"]["rules"]:
                if rule["id"] == rule_id:
                    return rule
            raise KeyError(f"the PIM policy of {PRIVILEGED_ROLE_IDS.get(role_id, role_id)} has no rule {rule_id!r}")
    raise KeyError(f"no roleManagementPolicyAssignment for {PRIVILEGED_ROLE_IDS.get(role_id, role_id)}")


def group_policy_rules(
    data: Mapping[str, Any], role_ids: Iterable[str], rule_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """``(group label, rule)``: the rule ``rule_id`` of the membership PIM policy of each group that holds
    one of ``role_ids``, actively or eligibly. The label is the group's display name, or its id.

    Raises:
        KeyError: a group's membership policy lacks the rule, or the group's policies were not read.
    """
    wanted = set(role_ids)
    labels: dict[str, str] = {}
    for assignment in [*data["role_assignments"], *data["role_eligibility_instances"]]:
        principal = assignment["principal"]
        if assignment["roleDefinitionId"] in wanted and principal is not None and principal["@odata.type"] == _GROUP:
            labels[assignment["principalId"]] = principal.get("displayName") or assignment["principalId"]
    found = []
    for gid in sorted(labels):
        # Indexed, not .get(): the fan-out asks for every such group, so a missing one is unread data
        # (malformed_data), not a group without a policy.
        for policy_assignment in data["group_pim_policies"][gid]:
            if policy_assignment["roleDefinitionId"] != "member":
                continue
            rules = [r for r in policy_assignment["policy"]["rules"] if r["id"] == rule_id]
            if not rules:
                raise KeyError(f"the PIM for Groups policy of group {labels[gid]} has no rule {rule_id!r}")
            found.append((labels[gid], rules[0]))
    return found
