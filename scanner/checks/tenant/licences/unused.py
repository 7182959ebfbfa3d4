"""Paid subscriptions do not carry many unassigned seats.

A SKU fails when it is enabled, has at least 5 unassigned seats, and those are more than 10% of its seats: small
tenants keep a few spares on purpose, large ones renew in bulk. Decision: free and self-service "viral" SKUs
(Power Automate Free, Power BI free, Teams Exploratory...) come with thousands of seats that cost nothing; they
are left out by part number and listed in the evidence, as CIPP's licence exclusions do.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.licences import FREE_SKUS

META = CheckMeta(
    id="tenant.licences.unused",
    title="No paid licences sit unassigned",
    area="Licences",
    severity=Severity.LOW,
    collections=("subscribed_skus",),
    rationale=(
        "Unassigned seats are money spent every month for nothing, and a surplus often means leavers' licences "
        "were removed without the subscription being reduced."
    ),
    remediation=(
        "Microsoft 365 admin center > Billing > Licenses: assign the spare seats, or lower the quantity under "
        "Billing > Your products (or at the next renewal for annual commitments)."
    ),
    decision=(
        "Fails an enabled SKU with at least 5 unassigned seats that are over 10% of its seats; free self-service "
        "SKUs are ignored."
    ),
)

_MIN_UNUSED = 5
_MIN_UNUSED_SHARE = 0.10


def evaluate(data: Collected) -> Verdict:
    seats: dict[str, dict[str, int]] = {}
    ignored: list[str] = []
    unused_skus: list[str] = []
    for sku in data["subscribed_skus"]:
        part_number = sku["skuPartNumber"]
        if sku["capabilityStatus"] != "Enabled":
            continue
        if part_number in FREE_SKUS:
            ignored.append(part_number)
            continue
        enabled, consumed = sku["prepaidUnits"]["enabled"], sku["consumedUnits"]
        if enabled == 0:
            continue
        seats[part_number] = {"enabled": enabled, "consumed": consumed}
        unused = enabled - consumed
        if unused >= _MIN_UNUSED and unused > enabled * _MIN_UNUSED_SHARE:
            unused_skus.append(part_number)
    evidence = {"seats": seats, "ignored_free_skus": sorted(ignored)}
    if unused_skus:
        return Verdict.failed(evidence, affected=unused_skus)
    return Verdict.passed(evidence)
