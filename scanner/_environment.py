"""The tenant's environment in figures, from what the scan read anyway: the executive report's overview.

Nothing here is a verdict and nothing here sends a request: each figure comes from collections the
checks needed, and is ``None`` when its collection was not read (a licence gate, a partial scan) or
could not be read, or had a shape we did not expect. A figure is never guessed.

Figures (the keys of :func:`tenant_environment`'s answer):
- ``members``, ``guests``: enabled accounts by ``userType``; ``licensed``: enabled members with a licence.
- ``admins_active``: users holding a highly privileged role now (directly or through a group);
  ``admins_eligible``: users who may activate one through PIM (Entra ID P2 only, else ``None``).
- ``mfa_capable``: enabled members whose registration makes them MFA-capable, of ``mfa_assessed``
  (members with a registration row).
- ``licences``: per paid SKU, its part number, seats enabled and seats consumed.
- ``secure_score``: current and maximum points, and the averages Microsoft gives for all tenants and
  for tenants of a similar seat count (``None`` where Graph does not give them).
- ``licensed_partitions``: the licensed members counted by what an MSP may bill them by: the domains of
  their user principal name and mail, and which of the billing groups they belong to (present only
  when the scan was asked for billing groups, or read the users at all). The portal maps each
  partition to a billing customer, so no list of people is ever stored.

:func:`tenant_directory` is the tenant's verified domains and groups, for choosing what to bill by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from scanner.checks.entra.roles._roles import privileged_users
from scanner.licences import FREE_SKUS

__all__ = ["GROUP_KINDS", "licensed_partitions", "tenant_directory", "tenant_environment"]

#: A group's kind as the portal filters them.
GROUP_KINDS = {"microsoft365": "Microsoft 365 group", "security": "Security group",
               "mail_security": "Mail-enabled security group", "distribution": "Distribution list"}


def _read(collected: Mapping[str, Any], *names: str) -> list[Any] | None:
    """The collections, or None when any of them is missing or failed (an error object, not data)."""
    values = [collected.get(name) for name in names]
    return None if any(v is None or isinstance(v, Exception) for v in values) else values


def _users(users: list[dict[str, Any]]) -> dict[str, int]:
    enabled = [u for u in users if u["accountEnabled"] is True]
    members = [u for u in enabled if u["userType"] == "Member"]
    return {"members": len(members), "guests": sum(u["userType"] == "Guest" for u in enabled),
            "licensed": sum(bool(u["assignedLicenses"]) for u in members)}


def _mfa(users: list[dict[str, Any]], registration: list[dict[str, Any]]) -> dict[str, int]:
    rows = {r["id"]: r for r in registration}
    members = [u["id"] for u in users if u["accountEnabled"] is True and u["userType"] == "Member"]
    assessed = [rows[uid] for uid in members if uid in rows]
    return {"mfa_assessed": len(assessed), "mfa_capable": sum(r["isMfaCapable"] is True for r in assessed)}


def _licences(skus: list[dict[str, Any]]) -> dict[str, Any]:
    paid = [s for s in skus if s["skuPartNumber"] not in FREE_SKUS and s["capabilityStatus"] == "Enabled"]
    return {"licences": sorted(({"sku": s["skuPartNumber"], "enabled": s["prepaidUnits"]["enabled"],
                                 "consumed": s["consumedUnits"]} for s in paid), key=lambda s: s["sku"])}


def _secure_score(scores: list[dict[str, Any]]) -> dict[str, Any]:
    if not scores:
        return {"secure_score": None}
    latest = max(scores, key=lambda s: dt.datetime.fromisoformat(s["createdDateTime"]))
    averages = {c["basis"]: c["averageScore"] for c in latest.get("averageComparativeScores") or ()}
    return {"secure_score": {"current": latest["currentScore"], "max": latest["maxScore"],
                             "all_tenants": averages.get("AllTenants"), "similar_size": averages.get("TotalSeats")}}


def _domain_of(address: Any) -> str | None:
    if not isinstance(address, str) or "@" not in address or "#EXT#" in address:
        return None
    return address.rsplit("@", 1)[1].lower()


def licensed_partitions(users: list[dict[str, Any]],
                        group_members: Mapping[str, list[dict[str, Any]]] | None) -> list[dict[str, Any]]:
    """Enabled licensed members counted per (domains, billing groups): ``[{"domains", "groups", "count"}]``."""
    groups_of: dict[str, set[str]] = {}
    for gid, members in (group_members or {}).items():
        for member in members:
            if isinstance(member, dict) and "id" in member:
                groups_of.setdefault(member["id"], set()).add(gid)
    counts: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    for u in users:
        if u["accountEnabled"] is not True or u["userType"] != "Member" or not u["assignedLicenses"]:
            continue
        domains = tuple(sorted({d for d in (_domain_of(u.get("userPrincipalName")), _domain_of(u.get("mail"))) if d}))
        key = (domains, tuple(sorted(groups_of.get(u["id"], ()))))
        counts[key] = counts.get(key, 0) + 1
    return [{"domains": list(d), "groups": list(g), "count": n} for (d, g), n in sorted(counts.items())]


def _group_kind(group: Mapping[str, Any]) -> str:
    if "Unified" in (group.get("groupTypes") or ()):
        return "microsoft365"
    if group.get("securityEnabled"):
        return "mail_security" if group.get("mailEnabled") else "security"
    return "distribution"


def tenant_directory(collected: Mapping[str, Any]) -> dict[str, Any] | None:
    """The verified domains and the groups, as the portal lists them; None when either was not read."""
    read = _read(collected, "domains", "groups")
    if read is None:
        return None
    domains, groups = read
    try:
        return {
            "domains": sorted(({"name": d["id"].lower(), "default": bool(d.get("isDefault")),
                                "initial": bool(d.get("isInitial"))}
                               # domain-list.md's example omits isVerified: only an explicit false is unverified.
                               for d in domains if d.get("isVerified") is not False),
                              key=lambda d: d["name"]),
            "groups": sorted(({"id": g["id"], "name": g.get("displayName") or g["id"], "kind": _group_kind(g),
                               "dynamic": "DynamicMembership" in (g.get("groupTypes") or ())} for g in groups),
                             key=lambda g: (g["name"].lower(), g["id"])),
        }
    except (KeyError, TypeError, AttributeError):
        return None  # an unexpected shape: no directory this time, never a guessed one


def tenant_environment(collected: Mapping[str, Any]) -> dict[str, Any]:
    """The environment's figures (see the module's note); a figure that cannot be had is ``None``."""
    out: dict[str, Any] = {"members": None, "guests": None, "licensed": None, "admins_active": None,
                           "admins_eligible": None, "mfa_capable": None, "mfa_assessed": None, "licences": None,
                           "secure_score": None, "licensed_partitions": None}
    # Without billing groups asked for, nobody is in one; asked for and not read, nobody can be placed.
    billing_members = collected.get("billing_group_members", {})
    parts: list[tuple[tuple[str, ...], Callable[..., dict[str, Any]]]] = [
        (("users",), _users),
        (("users", "registration_details"), _mfa),
        (("subscribed_skus",), _licences),
        (("secure_scores",), _secure_score),
        (("role_assignments", "privileged_group_members"),
         lambda a, m: {"admins_active": len(privileged_users(a, m))}),
        (("role_eligibility_instances", "eligible_group_members"),
         lambda e, m: {"admins_eligible": len(privileged_users((), m, eligible=e))}),
    ]
    if not isinstance(billing_members, Exception):
        parts.append((("users",), lambda u: {"licensed_partitions": licensed_partitions(u, billing_members)}))
    for names, figure in parts:
        values = _read(collected, *names)
        if values is None:
            continue
        try:
            out.update(figure(*values))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # an unexpected shape: the checks report it; here the figure stays unknown
    return out
