"""Guests see only their own directory objects, not the whole directory.

Decision (checks.md §6.2): EIDSCA.AP07 accepts only the most restrictive guest role; ScubaGear (MS.AAD.8.1v1),
CIS and Prowler also accept the "limited" Guest User role. We follow ScubaGear: both stop a guest from listing
users and groups, and the difference (reading group memberships of shared groups) is small next to the
member-equivalent role, which is what this check exists to catch.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.guests.access_restricted",
    title="Guest access to the directory is restricted",
    area="Guest access",
    severity=Severity.MEDIUM,
    collections=("authorization_policy",),
    references=("MS.AAD.8.1v1", "CIS M365 v7.0 5.1.6.2", "EIDSCA.AP07"),
    rationale=(
        "With member-level access a guest account, often from a partner with weaker security, can enumerate every "
        "user, group and admin in the tenant: a ready target list for phishing."
    ),
    remediation=(
        "Entra admin center > Identity > External Identities > External collaboration settings > Guest user access: "
        "choose 'Guest user access is restricted to properties and memberships of their own directory objects "
        "(most restrictive)'."
    ),
    decision=(
        "Accepts the restricted (2af84b1e-...) and limited (10dae51f-...) guest roles, as ScubaGear, CIS and "
        "Prowler do; EIDSCA.AP07 accepts only the restricted one."
    ),
)

_ACCEPTED_GUEST_ROLES = {
    "2af84b1e-32c8-42b7-82bc-daa82404023b": "restricted",
    "10dae51f-b6af-4016-8d66-8c2a99b929b3": "limited",
}


def evaluate(data: Collected) -> Verdict:
    role_id = data["authorization_policy"]["guestUserRoleId"]
    evidence = {"guestUserRoleId": role_id}
    if role_id in _ACCEPTED_GUEST_ROLES:
        return Verdict.passed(evidence, reason=_ACCEPTED_GUEST_ROLES[role_id])
    return Verdict.failed(evidence)
