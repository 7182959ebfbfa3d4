"""Finer-grained admin roles are used rather than Global Administrator."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.roles._roles import global_admins, privileged_users

META = CheckMeta(
    id="entra.roles.least_privilege_ratio",
    title="Global Administrators do not outnumber other privileged admins",
    area="Privileged roles",
    severity=Severity.MEDIUM,
    collections=("role_assignments", "privileged_group_members"),
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
        "Passes when the Global Administrator count is at most the number of users holding another highly "
        "privileged role without Global Administrator (ScubaGear's ratio), or at most the tenant's minimum "
        "Global Administrator count (default 2): a tenant at the minimum has nothing to reduce."
    ),
)


def evaluate(data: Collected) -> Verdict:
    holders = privileged_users(data["role_assignments"], data["privileged_group_members"])
    admins = sorted(h.name for h in global_admins(holders))
    others = len(holders) - len(admins)
    floor = data.config.global_admin_min
    evidence = {"global_admins": len(admins), "other_privileged_users": others, "minimum": floor}
    if len(admins) <= others or len(admins) <= floor:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=admins)
