"""Every accepted domain's DMARC policy rejects mail that fails authentication.

ScubaGear's MS.EXO.4.2v1 passes a domain when its DMARC record contains ``p=reject;``. That substring also
matches ``sp=reject;`` beside ``p=none``, and misses ``p=reject`` at the end of the record; we require both
ScubaGear's literal and the parsed policy to be reject, with every message covered (``pct`` absent or 100).
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._mail_dns import judge_dmarc

META = CheckMeta(
    id="exo.dmarc.reject",
    title="DMARC rejects spoofed mail for every mail domain",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_accepted_domains", "dns_dmarc"),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.4.2v1",),
    rationale=(
        "Only p=reject makes receiving servers refuse mail that pretends to come from the domain; p=none only "
        "reports it and p=quarantine still delivers it to junk, where people find and trust it."
    ),
    remediation=(
        "Once the DMARC reports show every legitimate sender passing SPF or DKIM, change the record at "
        "_dmarc.<domain> to v=DMARC1; p=reject; rua=mailto:<reports address>; (remove any pct= below 100)."
    ),
    decision=(
        "A domain passes when its DMARC record (as for exo.dmarc.published) holds the literal 'p=reject;' "
        "(ScubaGear) and its policy tag p is reject, with pct absent or 100; a subdomain judged by its parent's "
        "record reads sp= where the parent sets one. Lookups that could not be made leave the check in error."
    ),
    versus_scuba="stricter: the parsed policy must be reject (sp=reject beside p=none fails) and pct must be 100",
)


def _tags(record: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _problem(domain: str, record: str, name: str) -> str | None:
    tags = _tags(record)
    own = name == f"_dmarc.{domain}"
    policy = tags.get("p", "") if own else tags.get("sp", tags.get("p", ""))
    if "p=reject;" not in record or policy.lower() != "reject":
        return f"policy_{policy.lower() or 'missing'}"
    if tags.get("pct", "100") != "100":
        return "partial_pct"
    return None


def evaluate(data: Collected) -> Verdict:
    return judge_dmarc(data, _problem)
