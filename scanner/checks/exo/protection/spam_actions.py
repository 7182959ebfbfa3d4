"""Spam and phishing never land in the inbox: every anti-spam verdict moves, quarantines or deletes the mail."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._policies import judge

META = CheckMeta(
    id="exo.protection.spam_actions",
    title="Spam and phishing are kept out of the inbox",
    area="Email protection",
    severity=Severity.HIGH,
    collections=("exo_spam_policies", "exo_eop_rules"),
    gates=(Gate.EXCHANGE,),
    references=("MS.SECURITYSUITE.6.1v1",),
    rationale=(
        "A policy that only tags spam or phishing (an X-header, a subject prefix) still delivers it to the inbox, "
        "where the phish looks like any other message."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-spam > "
        "each inbound policy > Actions: set Spam, High confidence spam, Phishing and High confidence phishing to "
        "'Move message to Junk Email folder' or 'Quarantine message'."
    ),
    decision=(
        "Judges every inbound anti-spam policy in force (as exo.protection.malware_file_filter does): SpamAction, "
        "HighConfidenceSpamAction, PhishSpamAction and HighConfidencePhishAction are each MoveToJmf, Quarantine, "
        "Redirect or Delete (ScubaGear's list)."
    ),
    versus_scuba="stricter: every policy that may apply is judged, not only the one ScubaGear picks",
)

_ACTIONS = ("SpamAction", "HighConfidenceSpamAction", "PhishSpamAction", "HighConfidencePhishAction")
_KEEP_OUT = {"MoveToJmf", "Quarantine", "Redirect", "Delete"}


def _problem(policy: dict[str, Any]) -> str | None:
    delivered = [a for a in _ACTIONS if policy[a] not in _KEEP_OUT]
    return f"delivers:{','.join(delivered)}" if delivered else None


def evaluate(data: Collected) -> Verdict:
    return judge(data["exo_spam_policies"], data["exo_eop_rules"], None, _problem)
