"""SMTP AUTH client submission is turned off for the whole organisation."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._cmdlet import single_object

META = CheckMeta(
    id="exo.smtp_auth.org_disabled",
    title="SMTP AUTH is turned off for the organisation",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_transport_config",),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.5.1v1", "CIS M365 v7.0 6.5.4"),
    rationale=(
        "SMTP AUTH accepts a mailbox's username and password with basic authentication, so Conditional Access "
        "and MFA never see it. Password-spray tools try it first, and a guessed password can send mail as the "
        "user from anywhere."
    ),
    remediation=(
        "Run Set-TransportConfig -SmtpClientAuthenticationDisabled $true, or in the Exchange admin center go to "
        "Settings > Mail flow and tick 'Turn off SMTP AUTH protocol for your organization'. Move scanners and "
        "applications to a connector or OAuth; if one mailbox truly needs it, allow that mailbox alone with "
        "Set-CASMailbox -SmtpClientAuthenticationDisabled $false."
    ),
)


def evaluate(data: Collected) -> Verdict:
    config = single_object(data["exo_transport_config"], "Get-TransportConfig")
    disabled = config["SmtpClientAuthenticationDisabled"]
    evidence = {"SmtpClientAuthenticationDisabled": disabled}
    if disabled is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
