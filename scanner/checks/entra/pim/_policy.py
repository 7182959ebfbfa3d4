"""Reading the PIM policy (``roleManagementPolicyAssignments`` with rules expanded) of one directory role.

The collection lists the tenant-wide (``scopeId == "/"``) policy assignment of every directory role;
each carries its policy and the policy's rules, keyed by rule ``id`` (``Approval_EndUser_Assignment``,
``Notification_Admin_EndUser_Assignment``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.collections import PRIVILEGED_ROLE_IDS

__all__ = ["role_policy_rule"]


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
