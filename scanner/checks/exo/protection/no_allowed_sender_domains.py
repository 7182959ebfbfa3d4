"""No anti-spam policy lets a whole sending domain skip spam filtering."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._policies import judge

META = CheckMeta(
    id="exo.protection.no_allowed_sender_domains",
    title="No sender domain bypasses spam filtering",
    area="Email protection",
    severity=Severity.MEDIUM,
    collections=("exo_spam_policies", "exo_eop_rules"),
    gates=(Gate.EXCHANGE,),
    references=("MS.SECURITYSUITE.6.2v1", "CIS M365 v7.0 2.1.14"),
    rationale=(
        "An allowed domain skips spam filtering for anyone who can make mail look as if it came from that "
        "domain, and attackers spoof exactly the partners a company trusts."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-spam > "
        "each inbound policy > Allowed and blocked senders and domains: remove every allowed domain (use the "
        "Tenant Allow/Block List for a specific, expiring exception)."
    ),
    decision="Judges every inbound anti-spam policy in force: AllowedSenderDomains is empty.",
    versus_scuba="stricter: every policy that may apply is judged, not only the one ScubaGear picks",
)


def _problem(policy: dict[str, Any]) -> str | None:
    return "allowed_domains" if policy["AllowedSenderDomains"] else None


def evaluate(data: Collected) -> Verdict:
    return judge(data["exo_spam_policies"], data["exo_eop_rules"], None, _problem)
