"""Outgoing mail is DKIM-signed for every domain Exchange Online knows."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.dkim_enabled",
    title="DKIM signing is on for every mail domain",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_dkim_configs",),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.3.1v1", "CIS M365 v7.0 2.1.9"),
    rationale=(
        "DKIM lets receiving servers prove a message really came from the domain and was not altered. Without it "
        "DMARC can only rely on SPF, forwarded mail fails authentication, and the domain is easier to spoof."
    ),
    remediation=(
        "For each domain listed, publish the selector1 and selector2 CNAME records that Get-DkimSigningConfig "
        "shows, then run Set-DkimSigningConfig -Identity <domain> -Enabled $true (or in the Microsoft Defender "
        "portal go to Email & collaboration > Policies & rules > Threat policies > Email authentication settings > "
        "DKIM). A domain with no signing configuration needs New-DkimSigningConfig -DomainName <domain> "
        "-Enabled $true."
    ),
)


def evaluate(data: Collected) -> Verdict:
    configs = data["exo_dkim_configs"]
    if not configs:
        return Verdict.failed({"configs_read": 0}, reason="no_dkim_config")
    unsigned = [c["Domain"] for c in configs if c["Enabled"] is not True]
    evidence = {"configs_read": len(configs), "signing": len(configs) - len(unsigned)}
    if not unsigned:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=unsigned)
