"""Safe Links records who clicked which link, so an incident can find everyone who clicked."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._safe_links import COLLECTIONS, judge_switches

META = CheckMeta(
    id="exo.protection.safe_links_click_tracking",
    title="Safe Links records clicks",
    area="Email protection",
    severity=Severity.LOW,
    collections=COLLECTIONS,
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.7.3v1",),
    rationale=(
        "When a phishing link is found after the fact, the click records say who opened it, so those accounts "
        "are reset first instead of everyone's."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Safe Links: in "
        "each policy clear 'Do not track user clicks' (Set-SafeLinksPolicy -TrackClicks $true)."
    ),
    decision="Every Safe Links policy in force has TrackClicks on, as ScubaGear requires.",
    versus_scuba=(
        "stricter: every policy that may apply is judged, and a preset counts only when its Defender rule "
        "covers everyone too"
    ),
)


def evaluate(data: Collected) -> Verdict:
    return judge_switches(data, ("TrackClicks",))
