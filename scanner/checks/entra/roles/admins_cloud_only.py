"""Accounts holding highly privileged roles exist only in the cloud (not synchronised from on-premises).

ScubaGear's MS.AAD.7.3v1 (``FederatedAdmins``) fails a privileged user whose ``onPremisesImmutableId``
is set: the account is anchored to an on-premises object, even after synchronisation was turned off
(``onPremisesSyncEnabled`` then reads null). We fail either sign, so we are never more lenient.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.roles._roles import ELIGIBLE_COLLECTIONS, directory_entries, holders_with_eligible

META = CheckMeta(
    id="entra.roles.admins_cloud_only",
    title="Privileged accounts are cloud-only",
    area="Privileged roles",
    severity=Severity.HIGH,
    collections=(*ELIGIBLE_COLLECTIONS, "users"),
    references=("MS.AAD.7.3v1", "CIS M365 v7.0 1.1.1", "MT.1026"),
    rationale=(
        "A synchronised admin account is controlled from Active Directory: whoever compromises the on-premises "
        "domain can reset its password and take over the Microsoft 365 tenant as well."
    ),
    remediation=(
        "Create a cloud-only admin account (user@<tenant>.onmicrosoft.com) for each administrator in Entra admin "
        "center > Entra ID > Users > New user, assign the role to it under Roles & admins, and remove the role from "
        "the synchronised account."
    ),
    decision=(
        "An account is on-premises when onPremisesSyncEnabled is true or onPremisesImmutableId is set (ScubaGear "
        "reads the immutable id only). Eligible holders (directly, through an eligible group or through PIM for "
        "Groups) are checked too on Entra ID P2 tenants."
    ),
    versus_scuba="stricter: also fails an account whose onPremisesSyncEnabled is true",
)


def evaluate(data: Collected) -> Verdict:
    holders, unexpanded = holders_with_eligible(data)
    users = directory_entries(data["users"], holders)
    synced = [u["userPrincipalName"] for u in users.values()
              if u["onPremisesSyncEnabled"] is True or u["onPremisesImmutableId"] is not None]
    evidence: dict[str, Any] = {"privileged_users": len(holders), "synchronised": len(synced)}
    if unexpanded:  # a group inside a PIM group, whose members were not read: say so
        evidence["eligible_groups_not_expanded"] = sorted(unexpanded)
    if synced:
        return Verdict.failed(evidence, affected=synced)
    if unexpanded:  # someone unread may hold the role: no pass on half the holders
        return Verdict.error("eligible_group_unread", evidence)
    return Verdict.passed(evidence)
