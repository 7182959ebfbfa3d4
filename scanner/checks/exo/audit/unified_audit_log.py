"""The unified audit log records user and admin activity."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._cmdlet import single_object

META = CheckMeta(
    id="exo.audit.unified_audit_log",
    title="Unified audit logging is on",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_admin_audit_log_config",),
    gates=(Gate.EXCHANGE,),
    references=("MS.SECURITYSUITE.5.1v1", "CIS M365 v7.0 3.1.1"),
    rationale=(
        "Without the unified audit log there is no record of who read, forwarded or deleted mail, changed a "
        "sharing setting or granted an app consent, so an incident cannot be investigated or its scope proven."
    ),
    remediation=(
        "Run Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true in Exchange Online PowerShell, or in "
        "the Microsoft Purview portal open Audit and select 'Start recording user and admin activity'. Recording "
        "can take up to an hour to start."
    ),
)


def evaluate(data: Collected) -> Verdict:
    config = single_object(data["exo_admin_audit_log_config"], "Get-AdminAuditLogConfig")
    enabled = config["UnifiedAuditLogIngestionEnabled"]
    evidence = {"UnifiedAuditLogIngestionEnabled": enabled}
    if enabled is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
