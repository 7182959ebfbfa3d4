"""The number of Global Administrators is within the tenant's accepted range (default 2 to 4)."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.roles._roles import ELIGIBLE_COLLECTIONS, global_admins, holders_with_eligible

META = CheckMeta(
    id="entra.roles.global_admin_count",
    title="Global Administrator count is within bounds",
    area="Privileged roles",
    severity=Severity.HIGH,
    collections=ELIGIBLE_COLLECTIONS,
    references=("MS.AAD.7.1v1", "CIS M365 v7.0 1.1.3", "MT.1032"),
    rationale=(
        "Each Global Administrator can change anything in the tenant, so every extra one widens what a single "
        "phished account can do; a single one leaves nobody to recover when that account is lost or locked."
    ),
    remediation=(
        "Entra admin center > Entra ID > Roles & admins > Global Administrator > Assignments: keep two to four "
        "named holders (one may be a break-glass account), move others to narrower roles such as User, Exchange "
        "or Security Administrator, or make them eligible through PIM instead of active."
    ),
    decision=(
        "Bounds come from the tenant configuration, default 2 to 4 inclusive (CIS); ScubaGear accepts up to 8. "
        "Users are counted once whether they hold the role directly or through a group, enabled or not, and "
        "everyone one activation away counts on Entra ID P2 tenants (eligible users, members of eligible groups, "
        "and users eligible through PIM for Groups for a group holding the role), as in ScubaGear."
    ),
    versus_scuba="stricter: the default bounds (2 to 4) are narrower than ScubaGear's 2 to 8",
)


def evaluate(data: Collected) -> Verdict:
    holders, unexpanded = holders_with_eligible(data)
    names = sorted(h.name for h in global_admins(holders))
    low, high = data.config.global_admin_min, data.config.global_admin_max
    evidence = {"global_admins": names, "count": len(names), "min": low, "max": high}
    if unexpanded:  # a group inside a PIM group, whose members were not read: say so
        evidence["eligible_groups_not_expanded"] = sorted(unexpanded)
    if len(names) < low:
        return Verdict.failed(evidence, reason="too_few")
    if len(names) > high:
        return Verdict.failed(evidence, affected=names, reason="too_many")
    if unexpanded:  # someone unread may hold the role: no pass on half the holders
        return Verdict.error("eligible_group_unread", evidence)
    return Verdict.passed(evidence)
