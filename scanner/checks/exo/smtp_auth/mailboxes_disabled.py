"""No mailbox can use SMTP AUTH, whether it set that itself or inherits it from the organisation.

``Get-CASMailbox`` reports ``SmtpClientAuthenticationDisabled`` per mailbox as true, false or null; null means
the mailbox follows ``Get-TransportConfig``. An explicit false re-enables SMTP AUTH for that mailbox even when
the organisation has turned it off, which is how exceptions for scanners and apps pile up unnoticed.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._cmdlet import single_object

META = CheckMeta(
    id="exo.smtp_auth.mailboxes_disabled",
    title="No mailbox allows SMTP AUTH",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_cas_mailboxes", "exo_transport_config"),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.5.1v1",),
    rationale=(
        "A per-mailbox exception re-opens basic-authentication SMTP for that mailbox even when the organisation "
        "has turned it off. Exceptions made for a printer or a web form are often shared, weak passwords that "
        "MFA does not protect."
    ),
    remediation=(
        "For each mailbox listed, run Set-CASMailbox -Identity <address> -SmtpClientAuthenticationDisabled $true "
        "(or $null to follow the organisation once it is off), or in the Exchange admin center open the mailbox > "
        "Manage email apps and clear 'Authenticated SMTP'. Send device mail through a connector instead."
    ),
)


def _allows_smtp_auth(mailbox: dict[str, Any], org_disabled: Any) -> bool:
    own = mailbox["SmtpClientAuthenticationDisabled"]
    if own is None:
        return org_disabled is False
    return own is False


def evaluate(data: Collected) -> Verdict:
    transport = single_object(data["exo_transport_config"], "Get-TransportConfig")
    org_disabled = transport["SmtpClientAuthenticationDisabled"]
    mailboxes = data["exo_cas_mailboxes"]
    allowing = [m for m in mailboxes if _allows_smtp_auth(m, org_disabled)]
    evidence = {
        "organisation_SmtpClientAuthenticationDisabled": org_disabled,
        "mailboxes_read": len(mailboxes),
        "allowed_explicitly": sum(1 for m in allowing if m["SmtpClientAuthenticationDisabled"] is False),
        "allowed_by_inheritance": sum(1 for m in allowing if m["SmtpClientAuthenticationDisabled"] is None),
    }
    if not allowing:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=[m["PrimarySmtpAddress"] for m in allowing])
