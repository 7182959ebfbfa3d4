"""Text generated from the catalogue: the check table and the permission list.

The README's catalogue and permission sections are produced by these functions (``make docs``),
so they cannot drift from the code.
"""

from __future__ import annotations

import json

from scanner import catalogue, required_permissions
from scanner.collections import COLLECTIONS, ExchangeCollection

__all__ = ["catalogue_text", "permissions_text"]

_GATE_LABEL = {
    "license:entra_p1": "Entra ID P1",
    "license:entra_p2": "Entra ID P2",
    "license:intune": "Intune",
    "license:exchange_online": "Exchange Online",
    "license:sharepoint_online": "SharePoint Online",
    "license:defender_office_365": "Defender for Office 365",
    "not_hybrid": "hybrid (directory sync)",
}


def _needs(check_collections: tuple[str, ...]) -> list[str]:
    return sorted({p for name in check_collections for p in COLLECTIONS[name].permissions})


def catalogue_text(fmt: str = "table") -> str:
    """Every check as a table (``table`` for terminals, ``markdown`` for the README) or JSON."""
    checks = catalogue()
    if fmt == "json":
        rows = [{
            "id": c.id, "title": c.meta.title, "area": c.meta.area, "severity": c.meta.severity.value,
            "requires": [_GATE_LABEL[g.value] for g in c.meta.gates], "references": list(c.meta.references),
            "versus_scuba": c.meta.versus_scuba,
            "permissions": _needs(c.meta.collections),
        } for c in checks]
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "markdown":
        lines = ["| Check | Severity | Requires | References | Versus ScubaGear |", "|---|---|---|---|---|"]
        for c in checks:
            requires = ", ".join(_GATE_LABEL[g.value] for g in c.meta.gates) or "any tenant"
            refs = ", ".join(c.meta.references) or "-"
            cites_scuba = any(r.startswith("MS.") for r in c.meta.references)
            versus = c.meta.versus_scuba or ("no known difference" if cites_scuba else "")
            lines.append(f"| `{c.id}`<br>{c.meta.title} | {c.meta.severity.value} | {requires} | {refs} | {versus} |")
        return "\n".join(lines) + "\n"
    width = max(len(c.id) for c in checks)
    return "".join(f"{c.id:<{width}}  {c.meta.severity.value:<8}  {c.meta.title}\n" for c in checks)


def permissions_text(fmt: str = "text") -> str:
    """Application permissions for the app registration, split by API."""
    exchange = sorted({p for c in COLLECTIONS.values() if isinstance(c, ExchangeCollection) for p in c.permissions})
    graph = [p for p in required_permissions() if p not in exchange]
    if fmt == "markdown":
        lines = ["| API | Application permission |", "|---|---|"]
        lines += [f"| Microsoft Graph | `{p}` |" for p in graph]
        lines += [f"| Office 365 Exchange Online | `{p}` |" for p in exchange]
        return "\n".join(lines) + "\n"
    return "".join(f"Microsoft Graph: {p}\n" for p in graph) + "".join(
        f"Office 365 Exchange Online: {p}\n" for p in exchange)
