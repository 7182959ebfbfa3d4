"""Outlook and other Exchange clients sign in with modern authentication (OAuth 2.0)."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._cmdlet import single_object

META = CheckMeta(
    id="exo.modern_auth",
    title="Modern authentication is on for Exchange Online",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_organization_config",),
    gates=(Gate.EXCHANGE,),
    references=("CIS M365 v7.0 6.5.1",),
    rationale=(
        "With modern authentication off, Outlook desktop falls back to sending the password itself, which "
        "bypasses MFA and Conditional Access and keeps legacy-authentication attacks working."
    ),
    remediation=(
        "Run Set-OrganizationConfig -OAuth2ClientProfileEnabled $true, or in the Microsoft 365 admin center go to "
        "Settings > Org settings > Modern authentication and tick 'Turn on modern authentication for Outlook 2013 "
        "for Windows and later'."
    ),
)


def evaluate(data: Collected) -> Verdict:
    config = single_object(data["exo_organization_config"], "Get-OrganizationConfig")
    enabled = config["OAuth2ClientProfileEnabled"]
    evidence = {"OAuth2ClientProfileEnabled": enabled}
    if enabled is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
