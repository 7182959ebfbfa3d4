"""Attachments with malware are blocked, for every recipient (Safe Attachments)."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._policies import judge

META = CheckMeta(
    id="exo.protection.safe_attachments_block",
    title="Safe Attachments blocks malicious attachments",
    area="Email protection",
    severity=Severity.HIGH,
    collections=("exo_safe_attachment_policies", "exo_eop_rules", "exo_atp_rules"),
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.1.3v1",),
    rationale=(
        "Safe Attachments opens attachments in a sandbox before delivery and catches malware that signature "
        "scanning misses; set to monitor only, it delivers what it catches."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Safe "
        "Attachments: set each policy's 'Safe Attachments unknown malware response' to Block or Dynamic Delivery "
        "(or turn on the Standard or Strict preset security policy for all recipients)."
    ),
    decision=(
        "Judges every Safe Attachments policy in force (a preset counts only with both its protection rules on; "
        "the built-in protection policy counts as the default): Action is Block or DynamicDelivery, as ScubaGear "
        "requires, and the policy is not switched off (Enable false)."
    ),
    versus_scuba="stricter: every policy that may apply is judged, not only the one ScubaGear picks",
)


def _problem(policy: dict[str, Any]) -> str | None:
    if policy.get("Enable") is False:
        return "policy_off"
    return None if policy["Action"] in ("Block", "DynamicDelivery") else f"action:{policy['Action']}"


def evaluate(data: Collected) -> Verdict:
    return judge(data["exo_safe_attachment_policies"], data["exo_eop_rules"], data["exo_atp_rules"], _problem)
