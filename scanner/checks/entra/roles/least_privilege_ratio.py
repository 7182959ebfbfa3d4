"""Finer-grained admin roles are used rather than Global Administrator."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.roles._roles import ELIGIBLE_COLLECTIONS, global_admins, holders_with_eligible

META = CheckMeta(
    id="entra.roles.least_privilege_ratio",
    title="Global Administrators do not outnumber other privileged admins",
    area="Privileged roles",
    severity=Severity.MEDIUM,
    collections=ELIGIBLE_COLLECTIONS,
    references=("MS.AAD.7.2v1",),
    rationale=(
        "When most admins are Global Administrators, day-to-day work (mailboxes, users, apps) runs with rights to "
        "change everything, and any of those accounts being phished compromises the whole tenant."
    ),
    remediation=(
        "Entra admin center > Entra ID > Roles & admins: for each Global Administrator, find the task they do and "
        "assign the narrower role (Exchange, User, SharePoint, Security Administrator...), then remove Global "
        "Administrator."
    ),
    decision=(
        "Passes when the Global Administrator count is within the tenant's bounds (default 2 to 4; ScubaGear's "
        "MS.AAD.7.1v1 accepts 2 to 8) and at most the number of users holding another highly privileged role "
        "without Global Administrator (ScubaGear's LeastPrivilegeScore). So two Global Administrators and nobody "
        "else fail: ScubaGear asks for a narrower admin beside each one."
    ),
    versus_scuba="stricter: the default Global Administrator bounds (2 to 4) are narrower than ScubaGear's 2 to 8",
)


def evaluate(data: Collected) -> Verdict:
    holders, unexpanded = holders_with_eligible(data)
    admins = sorted(h.name for h in global_admins(holders))
    others = len(holders) - len(admins)
    low, high = data.config.global_admin_min, data.config.global_admin_max
    evidence: dict[str, Any] = {"global_admins": len(admins), "other_privileged_users": others, "min": low, "max": high}
    if unexpanded:  # a group inside a PIM group, whose members were not read: say so
        evidence["eligible_groups_not_expanded"] = sorted(unexpanded)
    if not low <= len(admins) <= high:
        return Verdict.failed(evidence, affected=admins, reason="global_admin_count_out_of_bounds")
    if len(admins) > others:
        return Verdict.failed(evidence, affected=admins, reason="global_admins_outnumber_others")
    if unexpanded:  # someone unread may hold the role: no pass on half the holders
        return Verdict.error("eligible_group_unread", evidence)
    return Verdict.passed(evidence)
