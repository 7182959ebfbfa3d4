"""Every enabled member account has registered a method that satisfies MFA.

Members come from ``users`` (``accountEnabled`` true, ``userType`` "Member"); the registration report
says whether each is MFA-capable. A member with no report row yet (the report is refreshed by
Microsoft, so new accounts lag) is counted in the evidence, not failed: we cannot say what they
registered.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="entra.mfa.users_capable",
    title="All enabled members are MFA-capable",
    area="MFA registration",
    severity=Severity.HIGH,
    collections=("registration_details", "users"),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v7.0 5.2.3.4",),
    rationale=(
        "A policy that requires MFA protects only accounts that have a method registered; an account without one "
        "can be claimed by whoever first signs in with its password and registers their own phone."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > User registration details: filter 'MFA capable' "
        "to 'Not capable' and have those users register (registration campaign, or a Conditional Access policy "
        "requiring MFA registration from trusted locations); block sign-in for accounts nobody uses."
    ),
)


def evaluate(data: Collected) -> Verdict:
    rows = {r["id"]: r for r in data["registration_details"]}
    members = [u for u in data["users"] if u["accountEnabled"] is True and u["userType"] == "Member"]
    with_row = [u for u in members if u["id"] in rows]
    not_capable = [u["userPrincipalName"] for u in with_row if rows[u["id"]]["isMfaCapable"] is not True]
    evidence = {
        "enabled_members": len(members),
        "members_without_registration_row": len(members) - len(with_row),
        "not_mfa_capable": len(not_capable),
    }
    if not_capable:
        return Verdict.failed(evidence, affected=not_capable)
    return Verdict.passed(evidence)
