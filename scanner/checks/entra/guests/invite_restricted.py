"""Only admins and the Guest Inviter role (or nobody) can invite guests.

Decision: ScubaGear (MS.AAD.8.2v1) accepts only ``adminsAndGuestInviters``; CIS 5.1.6.3 and EIDSCA.AP04 also accept
``none``. We accept both: ``none`` is stricter, and failing a tenant for inviting nobody would be noise.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.guests.invite_restricted",
    title="Only admins and Guest Inviters can invite guests",
    area="Guest access",
    severity=Severity.MEDIUM,
    collections=("authorization_policy",),
    references=("MS.AAD.8.2v1", "CIS M365 v7.0 5.1.6.3", "EIDSCA.AP04"),
    rationale=(
        "When any user (or any guest) can invite, outside accounts appear with no owner and no review, and a "
        "compromised account can bring in an attacker's own identity as a guest."
    ),
    remediation=(
        "Entra admin center > Identity > External Identities > External collaboration settings > Guest invite "
        "settings: choose 'Only users assigned to specific admin roles can invite guest users', and give the Guest "
        "Inviter role to the people who need it."
    ),
    decision=(
        "Accepts allowInvitesFrom 'adminsAndGuestInviters' and 'none' (CIS, EIDSCA); ScubaGear accepts only the first."
    ),
)

_ACCEPTED = frozenset({"adminsAndGuestInviters", "none"})


def evaluate(data: Collected) -> Verdict:
    invites_from = data["authorization_policy"]["allowInvitesFrom"]
    evidence = {"allowInvitesFrom": invites_from}
    if invites_from in _ACCEPTED:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
