"""Every accepted domain has a DMARC policy published.

ScubaGear's MS.EXO.4.1v1 passes a domain when its DMARC record (``_dmarc.<domain>``, else a parent's)
starts with ``v=DMARC1;``. The coexistence domain is skipped, onmicrosoft.com domains are not (their
DMARC record can be added in the Microsoft 365 admin center).
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._mail_dns import judge_dmarc

META = CheckMeta(
    id="exo.dmarc.published",
    title="DMARC is published for every mail domain",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_accepted_domains", "dns_dmarc"),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.4.1v1", "CIS M365 v7.0 2.1.10"),
    rationale=(
        "DMARC tells receiving servers what to do with mail that claims the domain but fails SPF and DKIM, and "
        "where to report it. Without it, spoofed mail from the company's own domain is delivered on guesswork."
    ),
    remediation=(
        "At the domain's DNS host, publish a TXT record at _dmarc.<domain>: start with v=DMARC1; p=none; "
        "rua=mailto:<reports address> to learn who sends as the domain, then move to p=reject. For the "
        "onmicrosoft.com domain: Microsoft 365 admin center > Settings > Domains > <tenant>.onmicrosoft.com > "
        "DNS records > Add record (TXT, host _dmarc)."
    ),
    decision=(
        "The policy is the one record starting with v=DMARC1 at _dmarc.<domain> or, for a subdomain without "
        "one, at its parents (RFC 7489); it must start exactly 'v=DMARC1;' (as ScubaGear). The coexistence "
        "domain is skipped. A lookup that could not be made leaves the check in error unless another domain fails."
    ),
)


def _problem(_domain: str, record: str, _name: str) -> str | None:
    return None if record.startswith("v=DMARC1;") else "malformed_dmarc_record"


def evaluate(data: Collected) -> Verdict:
    return judge_dmarc(data, _problem)
