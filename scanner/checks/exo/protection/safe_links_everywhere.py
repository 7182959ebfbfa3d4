"""Safe Links checks every link, in email (internal mail included), Teams and Office apps."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._safe_links import COLLECTIONS, judge_switches

META = CheckMeta(
    id="exo.protection.safe_links_everywhere",
    title="Safe Links checks links in email, Teams and Office apps",
    area="Email protection",
    severity=Severity.MEDIUM,
    collections=COLLECTIONS,
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.7.1v1", "CIS M365 v7.0 2.1.1"),
    rationale=(
        "Safe Links checks a link when it is clicked, so a page that turns malicious after delivery is still "
        "blocked; links sent from a compromised colleague's mailbox or in a Teams chat need it as much as mail."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Safe Links: in "
        "each policy turn on 'On: Safe Links checks a list of known, malicious links when users click links in "
        "email', 'Apply Safe Links to email messages sent within the organization', and the Teams and Office "
        "365 apps settings (or turn on the Standard or Strict preset security policy for all recipients)."
    ),
    decision=(
        "Every Safe Links policy in force has EnableSafeLinksForEmail, EnableSafeLinksForTeams, "
        "EnableSafeLinksForOffice and EnableForInternalSenders on (ScubaGear's four switches)."
    ),
    versus_scuba=(
        "stricter: every policy that may apply is judged, and a preset counts only when its Defender rule "
        "covers everyone too"
    ),
)


def evaluate(data: Collected) -> Verdict:
    return judge_switches(data, ("EnableSafeLinksForEmail", "EnableSafeLinksForTeams", "EnableSafeLinksForOffice",
                                 "EnableForInternalSenders"))
