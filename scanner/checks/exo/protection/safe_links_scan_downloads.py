"""Safe Links scans links to files in real time and holds the message until the scan is done."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._safe_links import COLLECTIONS, judge_switches

META = CheckMeta(
    id="exo.protection.safe_links_scan_downloads",
    title="Safe Links scans downloadable links before delivery",
    area="Email protection",
    severity=Severity.MEDIUM,
    collections=COLLECTIONS,
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.7.2v1",),
    rationale=(
        "A link that points at a file is the usual way to deliver malware past attachment filtering; scanning "
        "it before the message is delivered means nobody clicks it before the verdict."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Safe Links: in "
        "each policy turn on 'Apply real-time URL scanning for suspicious links and links that point to files' "
        "and 'Wait for URL scanning to complete before delivering the message'."
    ),
    decision="Every Safe Links policy in force has ScanUrls and DeliverMessageAfterScan on, as ScubaGear requires.",
    versus_scuba=(
        "stricter: every policy that may apply is judged, and a preset counts only when its Defender rule "
        "covers everyone too"
    ),
)


def evaluate(data: Collected) -> Verdict:
    return judge_switches(data, ("ScanUrls", "DeliverMessageAfterScan"))
