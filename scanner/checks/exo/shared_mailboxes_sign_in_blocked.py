"""Nobody can sign in directly to a shared mailbox's account.

A shared mailbox has a user object in Entra ID, enabled by default. The mailbox is matched to that user through
``ExternalDirectoryObjectId``; a shared mailbox whose user is missing from ``users`` is raised as ``KeyError``
(``malformed_data``), not skipped, since we cannot tell whether it can sign in.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.shared_mailboxes_sign_in_blocked",
    title="Shared mailboxes cannot sign in",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_mailboxes", "users"),
    gates=(Gate.EXCHANGE,),
    references=("CIS M365 v7.0 1.2.2",),
    rationale=(
        "People reach a shared mailbox through their own accounts and permissions. If its own account can sign "
        "in, anyone who sets or guesses its password gets a mailbox nobody owns, which is rarely covered by MFA "
        "and rarely watched."
    ),
    remediation=(
        "Block sign-in for each account listed: in the Microsoft 365 admin center open Users > Active users > the "
        "account > Block sign-in, or run Update-MgUser -UserId <id> -AccountEnabled:$false. Members keep their "
        "access through mailbox permissions."
    ),
)


def evaluate(data: Collected) -> Verdict:
    accounts = {u["id"]: u for u in data["users"]}
    shared = [m for m in data["exo_mailboxes"] if m["RecipientTypeDetails"] == "SharedMailbox"]
    can_sign_in = []
    for mailbox in shared:
        user_id = mailbox["ExternalDirectoryObjectId"]
        account = accounts.get(user_id)
        if account is None:
            raise KeyError(f"shared mailbox {mailbox['UserPrincipalName']}: no user with id {user_id}")
        if account["accountEnabled"] is not False:
            can_sign_in.append(mailbox["UserPrincipalName"])
    evidence = {"shared_mailboxes": len(shared), "sign_in_enabled": len(can_sign_in)}
    if not can_sign_in:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=can_sign_in)
