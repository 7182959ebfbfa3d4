"""Privileged accounts carry no productivity licences (mail, Teams, Office): only Entra ID P1/P2 or none.

A licence whose ``skuId`` is not in ``subscribed_skus`` is reported by its id and counts as not allowed:
we cannot show it is harmless.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.roles._roles import directory_entries, privileged_users

META = CheckMeta(
    id="entra.roles.admin_licence_footprint",
    title="Privileged accounts have no productivity licences",
    area="Privileged roles",
    severity=Severity.MEDIUM,
    collections=("role_assignments", "privileged_group_members", "users", "subscribed_skus"),
    references=("CIS M365 v7.0 1.1.4",),
    rationale=(
        "An admin account with a mailbox and Teams receives phishing and malicious files like any user; keeping it "
        "for administration only removes the easiest way to reach it."
    ),
    remediation=(
        "Microsoft 365 admin center > Users > Active users > (admin account) > Licenses and apps: clear every "
        "licence except Microsoft Entra ID P1 or P2. Administrators read mail and work from a separate, licensed "
        "everyday account."
    ),
)

_ALLOWED = frozenset({"AAD_PREMIUM", "AAD_PREMIUM_P2"})


def evaluate(data: Collected) -> Verdict:
    parts = {sku["skuId"]: sku["skuPartNumber"] for sku in data["subscribed_skus"]}
    holders = privileged_users(data["role_assignments"], data["privileged_group_members"])
    users = directory_entries(data["users"], holders)
    licensed: dict[str, list[str]] = {}
    for user in users.values():
        skus = sorted(parts.get(lic["skuId"], lic["skuId"]) for lic in user["assignedLicenses"])
        if any(sku not in _ALLOWED for sku in skus):
            licensed[user["userPrincipalName"]] = skus
    evidence = {"privileged_users": len(holders), "with_productivity_licences": licensed}
    if licensed:
        return Verdict.failed(evidence, affected=list(licensed))
    return Verdict.passed(evidence)
