"""Mailbox auditing is on by default for the organisation."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._cmdlet import single_object

META = CheckMeta(
    id="exo.audit.mailbox_auditing",
    title="Mailbox auditing is on for the organisation",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_organization_config",),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.13.1v1", "CIS M365 v7.0 6.1.1"),
    rationale=(
        "Mailbox audit records show who opened, sent from or deleted items in a mailbox, including delegates and "
        "admins. Turning auditing off for the organisation switches it off for every mailbox at once, whatever "
        "each mailbox says."
    ),
    remediation="Run Set-OrganizationConfig -AuditDisabled $false in Exchange Online PowerShell.",
)


def evaluate(data: Collected) -> Verdict:
    config = single_object(data["exo_organization_config"], "Get-OrganizationConfig")
    disabled = config["AuditDisabled"]
    evidence = {"AuditDisabled": disabled}
    if disabled is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
