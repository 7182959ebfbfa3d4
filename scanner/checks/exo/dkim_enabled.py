"""Outgoing mail is DKIM-signed for every domain Exchange Online accepts mail for.

ScubaGear's MS.EXO.3.1v1 (``DomainsWithDkim``) walks the accepted domains and passes a domain only when
its DKIM signing configuration is enabled and its key is published in DNS: the first of
``selector1._domainkey.<domain>`` and ``selector2._domainkey.<domain>`` that answers holds a record
starting ``v=DKIM1;``. An accepted domain with no signing configuration at all fails. So do we.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._mail_dns import DomainResults, unreachable

META = CheckMeta(
    id="exo.dkim_enabled",
    title="DKIM signing is on for every mail domain",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_dkim_configs", "exo_accepted_domains", "dns_dkim"),
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
        "Every accepted domain must have an enabled signing configuration for exactly its name (a configuration "
        "for a domain that is no longer accepted is not judged) and a published key: the first selector record "
        "that answers starts with 'v=DKIM1;' (as ScubaGear). A lookup that could not be made leaves the check in error "
        "(dns_unreachable) unless another domain fails."
    ),
)


def _key_problem(lookups: list[dict]) -> str | None:
    """``key_not_published`` unless the first selector that answers holds a DKIM key; None when it does;
    ``unresolved`` when a selector could not be asked before one answered."""
    for lookup in lookups:
        if unreachable(lookup):
            return "unresolved"
        if lookup["records"]:
            return None if any(r.startswith("v=DKIM1;") for r in lookup["records"]) else "key_not_published"
    return "key_not_published"


def evaluate(data: Collected) -> Verdict:
    # A configuration matches its accepted domain exactly, as in ScubaGear's rule.
    domains = sorted({d["DomainName"] for d in data["exo_accepted_domains"]})
    signing = {c["Domain"] for c in data["exo_dkim_configs"] if c["Enabled"] is True}
    configured = {c["Domain"] for c in data["exo_dkim_configs"]}
    results = DomainResults()
    for domain in domains:
        lookups = data["dns_dkim"][domain.lower()]
        results.records[domain] = next((lk["records"] for lk in lookups if lk["records"]), [])
        if domain not in configured:
            results.failing[domain] = "no_signing_config"
        elif domain not in signing:
            results.failing[domain] = "signing_disabled"
        elif (problem := _key_problem(lookups)) == "unresolved":
            results.unresolved.append(domain)
        elif problem:
            results.failing[domain] = problem
    return results.verdict(len(domains))
