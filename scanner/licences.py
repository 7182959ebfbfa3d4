"""Which licences and features a tenant has, read from ``/subscribedSkus`` and ``/organization``.

Only SKUs with ``capabilityStatus == "Enabled"`` count, and only service plans with
``provisioningStatus == "Success"`` (ScubaGear's ``Aad2P2Licenses`` rule). Plans are matched by
name, as ScubaGear does, and by the service-plan ids Maester uses, so a renamed plan still matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.checks._model import Gate

__all__ = ["FREE_SKUS", "detect_gates", "enabled_service_plans"]

_P1_IDS = {"41781fb2-bc02-4b7c-bd55-b576c07bb09d"}
_P2_IDS = {"eec0eb4f-6444-4f95-aba0-50c24d67f998", "e866a266-3cff-43a3-acca-0c90a7e00c8b"}
_INTUNE_IDS = {"c1ec4a95-1f05-45b3-a911-aa3fa01094f5"}
#: Free or trial-by-default SKUs whose seat counts do not represent spend.
FREE_SKUS = frozenset({
    "CCIBOTS_PRIVPREV_VIRAL",
    "FLOW_FREE",
    "MCOPSTNC",
    "POWERAPPS_DEV",
    "POWERAPPS_VIRAL",
    "POWER_BI_STANDARD",
    "RIGHTSMANAGEMENT_ADHOC",
    "STREAM",
    "TEAMS_EXPLORATORY",
    "WINDOWS_STORE",
})

# Plan-name prefixes per gate. P2 implies P1: every P2 SKU also carries AAD_PREMIUM.
_NAME_PREFIXES: dict[Gate, tuple[str, ...]] = {
    Gate.ENTRA_P1: ("AAD_PREMIUM",),
    Gate.ENTRA_P2: ("AAD_PREMIUM_P2", "AAD_GOVERNANCE"),
    Gate.INTUNE: ("INTUNE_A",),
    Gate.EXCHANGE: ("EXCHANGE_S_",),
    Gate.SHAREPOINT: ("SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE", "SHAREPOINT_S_"),
    # Defender for Office 365 Plan 1 (Business Premium, E5) or Plan 2 (E5): Safe Links, Safe Attachments.
    Gate.DEFENDER: ("ATP_ENTERPRISE", "THREAT_INTELLIGENCE"),
}
_IDS: dict[Gate, set[str]] = {Gate.ENTRA_P1: _P1_IDS | _P2_IDS, Gate.ENTRA_P2: _P2_IDS, Gate.INTUNE: _INTUNE_IDS}


def enabled_service_plans(subscribed_skus: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Service plans provisioned in an enabled subscription."""
    return [
        plan
        for sku in subscribed_skus
        if sku["capabilityStatus"] == "Enabled"
        for plan in sku["servicePlans"]
        if plan["provisioningStatus"] == "Success"
    ]


def detect_gates(subscribed_skus: Iterable[dict[str, Any]], organization: list[dict[str, Any]]) -> set[Gate]:
    """The gates this tenant satisfies.

    Args:
        subscribed_skus: the ``subscribed_skus`` collection.
        organization: the ``organization`` collection (one item).
    """
    plans = enabled_service_plans(subscribed_skus)
    gates: set[Gate] = set()
    for gate, prefixes in _NAME_PREFIXES.items():
        ids = _IDS.get(gate, set())
        if any(p["servicePlanId"] in ids or p["servicePlanName"].startswith(prefixes) for p in plans):
            gates.add(gate)
    if Gate.ENTRA_P2 in gates:
        gates.add(Gate.ENTRA_P1)
    if any(org.get("onPremisesSyncEnabled") is True for org in organization):
        gates.add(Gate.HYBRID)
    return gates
