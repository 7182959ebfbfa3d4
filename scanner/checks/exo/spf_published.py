"""Every accepted domain publishes an SPF record that fails mail from servers it does not list.

ScubaGear's MS.EXO.2.2v3 (``Get-ScubaSpfRecord``) checks every accepted domain, the onmicrosoft.com
ones included: some TXT record starts with ``v=spf1 `` and contains ``-all``, ``~all`` or ``redirect``.
We read the record's terms instead of searching it for those strings, and fail two records (RFC 7208
makes that a permanent error), so we are never more lenient.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo._mail_dns import DomainResults, mail_domains, unreachable

META = CheckMeta(
    id="exo.spf_published",
    title="SPF is published for every mail domain",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_accepted_domains", "dns_spf"),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.2.2v3", "CIS M365 v7.0 2.1.8"),
    rationale=(
        "SPF tells receiving servers which servers may send mail for the domain. Without a record that ends by "
        "failing the rest, anyone can send mail as the company's domain and it is judged on reputation alone."
    ),
    remediation=(
        "At the domain's DNS host, publish one TXT record at the domain itself: v=spf1 "
        "include:spf.protection.outlook.com -all (add an include: or ip4: for every other service that sends as "
        "the domain, and keep a single record). Microsoft 365 admin center > Settings > Domains > the domain > "
        "DNS records shows the expected value."
    ),
    decision=(
        "Passes a domain with exactly one record starting 'v=spf1 ' (as ScubaGear, case-sensitive) whose terms "
        "include -all or ~all (soft fail is allowed by MS.EXO.2.2v3) or a redirect= modifier. A domain whose "
        "lookup could not be made leaves the check in error (dns_unreachable) unless another domain fails."
    ),
    versus_scuba="stricter: two SPF records fail, and -all/~all/redirect must be terms, not any substring",
)


def _problem(records: list[str]) -> str | None:
    spf = [r for r in records if r.startswith("v=spf1 ")]
    if not spf:
        return "no_spf_record"
    if len(spf) > 1:
        return "multiple_spf_records"
    terms = spf[0].split()
    if not any(t in ("-all", "~all") or t.startswith("redirect=") for t in terms):
        return "does_not_fail_other_senders"
    return None


def evaluate(data: Collected) -> Verdict:
    domains = mail_domains(data["exo_accepted_domains"])
    results = DomainResults()
    for domain in domains:
        lookup = data["dns_spf"][domain][0]
        results.records[domain] = lookup["records"]
        if unreachable(lookup):
            results.unresolved.append(domain)
        elif problem := _problem(lookup["records"]):
            results.failing[domain] = problem
    return results.verdict(len(domains))
