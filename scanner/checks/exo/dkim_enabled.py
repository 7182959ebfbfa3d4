"""Outgoing mail is DKIM-signed for every domain Exchange Online accepts mail for.

ScubaGear's MS.EXO.3.1v1 (``DomainsWithDkim``) walks the accepted domains and passes a domain only when
its DKIM signing configuration is enabled (and its DKIM key is published in DNS, which this check does
not read yet): an accepted domain with no signing configuration at all fails. So do we.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.dkim_enabled",
    title="DKIM signing is on for every mail domain",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_dkim_configs", "exo_accepted_domains"),
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
    decision=(
        "Every accepted domain must have an enabled signing configuration; a configuration for a domain that is "
        "no longer accepted is not judged. The DNS half of ScubaGear's rule (a v=DKIM1 key under a selector) "
        "is not read yet, so a domain signing with an unpublished key passes here and fails there."
    ),
    versus_scuba=(
        "more lenient: the published DKIM key (DNS) is not read yet, only the signing configuration"
    ),
)


def evaluate(data: Collected) -> Verdict:
    accepted = sorted({d["DomainName"].lower() for d in data["exo_accepted_domains"]})
    signing = {c["Domain"].lower() for c in data["exo_dkim_configs"] if c["Enabled"] is True}
    configured = {c["Domain"].lower() for c in data["exo_dkim_configs"]}
    unsigned = [d for d in accepted if d not in signing]
    evidence = {"accepted_domains": len(accepted), "signing": len(accepted) - len(unsigned),
                "without_config": [d for d in unsigned if d not in configured]}
    if not accepted:
        return Verdict.failed(evidence, reason="no_accepted_domain")
    if unsigned:
        return Verdict.failed(evidence, affected=unsigned)
    return Verdict.passed(evidence)
