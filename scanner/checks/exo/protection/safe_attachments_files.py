"""Files in SharePoint, OneDrive and Teams are scanned for malware (Safe Attachments for those services)."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.protection.safe_attachments_files",
    title="SharePoint, OneDrive and Teams files are scanned for malware",
    area="Email protection",
    severity=Severity.MEDIUM,
    collections=("exo_atp_o365_policies",),
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.1.4v1",),
    rationale=(
        "Malware shared as a file in a team or a OneDrive link never passes mail filtering; this setting scans "
        "those files and blocks opening the ones found malicious."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Safe "
        "Attachments > Global settings: turn on 'Defender for Office 365 for SharePoint, OneDrive, and Microsoft "
        "Teams' (Set-AtpPolicyForO365 -EnableATPForSPOTeamsODB $true)."
    ),
    decision="Passes when the tenant's ATP policy for Office 365 has EnableATPForSPOTeamsODB on, as ScubaGear.",
)


def evaluate(data: Collected) -> Verdict:
    policies = data["exo_atp_o365_policies"]
    on = [p for p in policies if p["EnableATPForSPOTeamsODB"] is True]
    evidence = {"EnableATPForSPOTeamsODB": bool(on), "policies": len(policies)}
    if not on:
        return Verdict.failed(evidence)
    return Verdict.passed(evidence)
