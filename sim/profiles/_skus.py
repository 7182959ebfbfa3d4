"""Licences: the SKUs a profile subscribes to, as ``/subscribedSkus`` returns them.

SKU ids and service-plan names and ids follow Microsoft's "Product names and service plan
identifiers for licensing" reference. The plan ids the scanner matches on (Entra ID P1 and P2,
Intune, checks.md §3.2) are exact; the scanner matches the others by name, so a wrong id among them
would not change a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.profiles._context import Context
from sim.profiles._spec import Licences

__all__ = ["SERVICE_OF_PLAN", "SKUS", "Sku", "enabled_plan_names", "plan_id", "subscribed_skus"]

_PLANS: dict[str, str] = {
    "AAD_PREMIUM": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
    "AAD_PREMIUM_P2": "eec0eb4f-6444-4f95-aba0-50c24d67f998",
    "MFA_PREMIUM": "8a256a2b-b617-496d-b51b-e76466e88db0",
    "INTUNE_A": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
    "INTUNE_SMBIZ": "8e9ff0ff-aa7a-4b20-83c1-2f636b600ac2",
    "INTUNE_O365": "882e1d05-acd1-4ccb-8708-6ee03664b117",
    "EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",
    "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    "EXCHANGE_S_ARCHIVE_ADDON": "176a09a6-7ec5-4039-ac02-b2791c6ba793",
    "SHAREPOINTENTERPRISE": "5dbe027f-2339-4123-9542-606e4d348a72",
    "SHAREPOINTSTANDARD": "c7699d2e-19aa-44de-8edf-1736da088ca1",
    "SHAREPOINTWAC": "e95bec33-7c88-4a70-8e19-b10bd9d0c014",
    "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",
    "OFFICESUBSCRIPTION": "43de0ff5-c92c-492b-9116-175376d08c38",
    "O365_BUSINESS": "094e7854-93fc-4d55-b2c0-3ab5369ebdc1",
    "MCOSTANDARD": "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
    "MCOEV": "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
    "FORMS_PLAN_E1": "159f4cd6-e380-449f-a816-af1a9ef76344",
    "BPOS_S_TODO_1": "5e62787c-c316-451f-b873-1d05acd4d12c",
    "MICROSOFTBOOKINGS": "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2",
    "ATP_ENTERPRISE": "f20fedf3-f3c3-43c3-8267-2bfdd51c0939",
    "THREAT_INTELLIGENCE": "8e0c0a52-6a6c-4d40-8370-dd62790dcd70",
    "WINDEFATP": "871d91ec-ec1a-452b-a83f-bd76c7d770ef",
    "MDE_SMB": "bfc1bbd9-981b-4f71-9b82-17c35fd0e2a4",
    "MTP": "bf28f719-7844-4079-9c78-c1307898e192",
    "ADALLOM_S_STANDALONE": "2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2",
    "ATA": "14ab5db5-e6c4-4b20-b4bc-13e36fd2227f",
    "RMS_S_ENTERPRISE": "bea4c11e-220a-4e6d-8eb8-8ea15d019f90",
    "RMS_S_PREMIUM": "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3",
    "RMS_S_PREMIUM2": "5689bec4-755d-4753-8b61-40975025187c",
    "LOCKBOX_ENTERPRISE": "9f431833-0334-42de-a7dc-70aa40db46db",
    "WINBIZ": "8e229017-d77b-43d5-9305-903395523b99",
}

#: Graph ``assignedPlans[].service`` of the plans that have a well-known one.
SERVICE_OF_PLAN: Mapping[str, str] = {
    "AAD_PREMIUM": "AADPremiumService",
    "AAD_PREMIUM_P2": "AADPremiumService",
    "MFA_PREMIUM": "MultiFactorService",
    "INTUNE_A": "SCO",
    "INTUNE_SMBIZ": "SCO",
    "INTUNE_O365": "SCO",
    "EXCHANGE_S_ENTERPRISE": "exchange",
    "EXCHANGE_S_STANDARD": "exchange",
    "SHAREPOINTENTERPRISE": "SharePoint",
    "SHAREPOINTSTANDARD": "SharePoint",
    "SHAREPOINTWAC": "SharePoint",
    "TEAMS1": "TeamspaceAPI",
    "OFFICESUBSCRIPTION": "MicrosoftOffice",
    "O365_BUSINESS": "MicrosoftOffice",
    "MCOSTANDARD": "MicrosoftCommunicationsOnline",
    "RMS_S_ENTERPRISE": "RMSOnline",
    "RMS_S_PREMIUM": "RMSOnline",
}


@dataclass(frozen=True)
class Sku:
    part_number: str
    sku_id: str
    plans: tuple[str, ...]

    @property
    def has_exchange(self) -> bool:
        return any(p.startswith("EXCHANGE_S_") for p in self.plans)


#: SKUs the profiles use, by part number.
SKUS: Mapping[str, Sku] = {
    s.part_number: s
    for s in (
        Sku("SPE_E5", "06ebc4ee-1bb5-47dd-8120-11324bc54e06", (
            "AAD_PREMIUM", "AAD_PREMIUM_P2", "MFA_PREMIUM", "INTUNE_A", "EXCHANGE_S_ENTERPRISE",
            "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD", "MCOEV",
            "ATP_ENTERPRISE", "THREAT_INTELLIGENCE", "WINDEFATP", "MTP", "ADALLOM_S_STANDALONE", "ATA",
            "RMS_S_ENTERPRISE", "RMS_S_PREMIUM", "RMS_S_PREMIUM2", "LOCKBOX_ENTERPRISE")),
        Sku("SPB", "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", (
            "AAD_PREMIUM", "MFA_PREMIUM", "INTUNE_A", "INTUNE_SMBIZ", "EXCHANGE_S_STANDARD",
            "EXCHANGE_S_ARCHIVE_ADDON", "SHAREPOINTSTANDARD", "SHAREPOINTWAC", "TEAMS1", "O365_BUSINESS",
            "MCOSTANDARD", "ATP_ENTERPRISE", "MDE_SMB", "RMS_S_ENTERPRISE", "RMS_S_PREMIUM", "WINBIZ")),
        Sku("O365_BUSINESS_PREMIUM", "f245ecc8-75af-4f8e-b61f-27d8114de5f3", (
            "EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "SHAREPOINTWAC", "TEAMS1", "O365_BUSINESS",
            "MCOSTANDARD", "INTUNE_O365", "FORMS_PLAN_E1", "BPOS_S_TODO_1", "MICROSOFTBOOKINGS")),
        Sku("O365_BUSINESS_ESSENTIALS", "3b555118-da6a-4418-894f-7df1e2096870", (
            "EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "SHAREPOINTWAC", "TEAMS1", "MCOSTANDARD",
            "INTUNE_O365", "FORMS_PLAN_E1", "BPOS_S_TODO_1")),
        # Enterprise Mobility + Security E5: only ever an expired trial here (capabilityStatus
        # Suspended), so its P2 plan must not count.
        Sku("EMSPREMIUM", "b05e124f-c7cc-45a0-a6aa-8cf78c946968", (
            "AAD_PREMIUM", "AAD_PREMIUM_P2", "MFA_PREMIUM", "INTUNE_A", "RMS_S_PREMIUM", "RMS_S_PREMIUM2",
            "ADALLOM_S_STANDALONE", "ATA")),
    )
}


def _spare(consumed: int, policy: str) -> int:
    # "many": unused seats >= 5 and > 10% of the seats bought for any count (u > consumed / 9).
    return consumed // 5 + 5 if policy == "many" else 2


def subscribed_skus(ctx: Context, licences: Licences, consumed: Mapping[str, int]) -> list[dict[str, Any]]:
    """``/subscribedSkus``: the subscribed SKUs, then the expired trials (suspended, no enabled seats)."""
    out = []
    for key in licences.skus:
        used = consumed.get(key, 0)
        out.append(_sku(ctx, SKUS[key], "Enabled", used, {"enabled": used + _spare(used, licences.spare),
                                                          "lockedOut": 0, "suspended": 0, "warning": 0}))
    for key in licences.expired_trials:
        out.append(_sku(ctx, SKUS[key], "Suspended", 0, {"enabled": 0, "lockedOut": 0, "suspended": 25, "warning": 0}))
    return out


def _sku(ctx: Context, sku: Sku, status: str, consumed: int, prepaid: dict[str, int]) -> dict[str, Any]:
    return {
        "accountName": ctx.display_name,
        "accountId": ctx.tenant_id,
        "appliesTo": "User",
        "capabilityStatus": status,
        "consumedUnits": consumed,
        "id": f"{ctx.tenant_id}_{sku.sku_id}",
        "prepaidUnits": prepaid,
        "servicePlans": [
            {"servicePlanId": _PLANS[name], "servicePlanName": name, "provisioningStatus": "Success",
             "appliesTo": "User"}
            for name in sku.plans
        ],
        "skuId": sku.sku_id,
        "skuPartNumber": sku.part_number,
        "subscriptionIds": [ctx.uid("subscription", sku.part_number)],
    }


def enabled_plan_names(skus: Iterable[dict[str, Any]]) -> set[str]:
    """Names of the service plans provisioned in enabled SKUs (``Tenant.service_plans``)."""
    return {
        plan["servicePlanName"]
        for sku in skus
        if sku["capabilityStatus"] == "Enabled"
        for plan in sku["servicePlans"]
        if plan["provisioningStatus"] == "Success"
    }


def plan_id(name: str) -> str:
    """The service-plan id of a plan name."""
    return _PLANS[name]
