"""The tenant's business groups (beside the role-assignable ones of ``_roles``): what an MSP may bill a
shared tenant by.

Every tenant has three department security groups that split its members between them (in turn), a
Microsoft 365 group of all members, and a distribution list of the first ten. ``/groups`` lists them;
``/groups/<id>/transitiveMembers`` lists each one's users.
"""

from __future__ import annotations

import uuid
from typing import Any

from sim.profiles._context import Context
from sim.profiles._users import BuiltUser

__all__ = ["DEPARTMENTS", "business_groups"]

DEPARTMENTS = ("Sales", "Finance", "Operations")


def business_groups(ctx: Context, users: list[BuiltUser]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The groups, and their ``transitiveMembers`` lists by Graph path."""
    members = [u for u in users if u.kind == "member"]
    layout: list[tuple[str, str, str, list[BuiltUser]]] = [
        (f"dept-{name.lower()}", name, "security", members[index::len(DEPARTMENTS)])
        for index, name in enumerate(DEPARTMENTS)]
    layout.append(("all-staff", "All staff", "microsoft365", members))
    layout.append(("leadership-dl", "Leadership", "distribution", members[:10]))
    groups, graph = [], {}
    for key, name, kind, people in layout:
        group = _group(ctx, key, name, kind)
        groups.append(group)
        graph[f"/groups/{group['id']}/transitiveMembers"] = [
            {"@odata.type": "#microsoft.graph.user", "id": u.id, "displayName": u.graph["displayName"],
             "userPrincipalName": u.graph["userPrincipalName"], "userType": u.graph["userType"],
             "accountEnabled": u.graph["accountEnabled"]} for u in people]
    return groups, graph


def _group(ctx: Context, key: str, name: str, kind: str) -> dict[str, Any]:
    gid = ctx.uid("group", key)
    mail = f"{key}@{ctx.custom_domain}" if kind != "security" else None
    return {
        "id": gid,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": ctx.ago(600),
        "description": None,
        "displayName": name,
        "groupTypes": ["Unified"] if kind == "microsoft365" else [],
        "isAssignableToRole": None,
        "mail": mail,
        "mailEnabled": kind != "security",
        "mailNickname": key,
        "membershipRule": None,
        "onPremisesSyncEnabled": None,
        "securityEnabled": kind != "distribution",
        "securityIdentifier": f"S-1-12-1-{uuid.UUID(gid).int % 4294967296}",
        "visibility": "Private" if kind == "microsoft365" else None,
    }
