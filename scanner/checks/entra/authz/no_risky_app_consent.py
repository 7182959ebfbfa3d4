"""Users cannot consent to applications that Microsoft flags as risky."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.no_risky_app_consent",
    title="Users cannot consent to risky applications",
    area="Authorization policy",
    severity=Severity.MEDIUM,
    collections=("authorization_policy",),
    references=("EIDSCA.AP09",),
    rationale=(
        "When Microsoft's risk detection flags a consent request, the safe outcome is to send it to an admin; "
        "letting users approve it anyway removes the one automatic brake on consent phishing."
    ),
    remediation=(
        "There is no portal switch: set allowUserConsentForRiskyApps to false on the authorization policy "
        "(Microsoft Graph PowerShell: Update-MgPolicyAuthorizationPolicy -AllowUserConsentForRiskyApps:$false)."
    ),
)


def evaluate(data: Collected) -> Verdict:
    # null leaves Microsoft's documented default (false, blocked); only an explicit true opens it.
    allowed = data["authorization_policy"]["allowUserConsentForRiskyApps"]
    evidence = {"allowUserConsentForRiskyApps": allowed}
    if allowed is True:
        return Verdict.failed(evidence)
    return Verdict.passed(evidence)
