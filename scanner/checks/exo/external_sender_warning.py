"""Mail from outside the organisation is marked as external before anyone reads it.

ScubaGear's MS.EXO.7.1v1 (``EnabledRules`` in ``EXOConfig.rego``) reads the transport rules: one must
be enabled, enforced (not a test mode), apply to senders outside the organisation and prepend a
subject tag. Outlook's built-in external tag (``Set-ExternalInOutlook``) is not read: ScubaGear does
not accept it either, since only some Outlook clients show it.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.external_sender_warning",
    title="External mail is marked as external",
    area="Exchange Online",
    severity=Severity.LOW,
    collections=("exo_transport_rules",),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.7.1v1",),
    rationale=(
        "Phishing mail often impersonates a colleague or the CEO. A visible [EXTERNAL] tag on every message from "
        "outside makes a forged 'internal' request stand out before anyone acts on it."
    ),
    remediation=(
        "Exchange admin center > Mail flow > Rules > Add a rule > Modify messages: apply if the sender is located "
        "Outside the organization, do Prepend the subject of the message with '[EXTERNAL] '; set the mode to "
        "Enforce and enable the rule (New-TransportRule -FromScope NotInOrganization -PrependSubject '[EXTERNAL] ')."
    ),
    decision="As ScubaGear: only an enabled, enforced transport rule with FromScope NotInOrganization and a "
             "non-empty PrependSubject counts.",
)


def _warns(rule: dict[str, Any]) -> bool:
    return (rule["State"] == "Enabled" and rule["Mode"] == "Enforce" and rule["FromScope"] == "NotInOrganization"
            and bool(rule["PrependSubject"]))


def evaluate(data: Collected) -> Verdict:
    rules = data["exo_transport_rules"]
    warning = [r["Name"] for r in rules if _warns(r)]
    evidence = {"rules_read": len(rules), "warning_rules": warning}
    if warning:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, reason="no_external_warning_rule")
