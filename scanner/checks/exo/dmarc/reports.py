"""Every accepted domain's DMARC record sends aggregate and failure reports somewhere.

Not mapped to ScubaGear's MS.EXO.4.3v1 and 4.4v1: those require CISA's federal reporting address
(``reports@dmarc.cyber.dhs.gov``) in ``rua`` and a second, agency address beside it, which only US federal
agencies can meet. What they protect (someone reads the reports) is checked for every customer here.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._mail_dns import judge_dmarc

META = CheckMeta(
    id="exo.dmarc.reports",
    title="DMARC reports reach someone for every mail domain",
    area="Exchange Online",
    severity=Severity.LOW,
    collections=("exo_accepted_domains", "dns_dmarc"),
    gates=(Gate.EXCHANGE,),
    references=("CIS M365 v7.0 2.1.10",),
    rationale=(
        "DMARC reports show who sends mail as the domain: the legitimate services to authorise before moving to "
        "p=reject, and the spoofing attempts. Without a reporting address nobody sees either."
    ),
    remediation=(
        "Add rua=mailto:<aggregate reports address>; and ruf=mailto:<failure reports address>; to the record at "
        "_dmarc.<domain> (a DMARC reporting service, or a mailbox the MSP watches)."
    ),
    decision=(
        "A domain passes when its DMARC record (as for exo.dmarc.published) names at least one mailto: address "
        "in rua and one in ruf. MS.EXO.4.3 and 4.4 are not claimed: they ask for CISA's federal address."
    ),
)


def _addresses(record: str, tag: str) -> list[str]:
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip().lower() == tag:
            return [a.strip() for a in value.split(",") if a.strip().lower().startswith("mailto:") and "@" in a]
    return []


def _problem(_domain: str, record: str, _name: str) -> str | None:
    if not _addresses(record, "rua"):
        return "no_aggregate_reports"
    if not _addresses(record, "ruf"):
        return "no_failure_reports"
    return None


def evaluate(data: Collected) -> Verdict:
    return judge_dmarc(data, _problem)
