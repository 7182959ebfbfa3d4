"""Users are warned by safety tips on suspicious mail (first contact, look-alike senders, unauthenticated)."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._policies import judge

META = CheckMeta(
    id="exo.protection.safety_tips",
    title="Safety tips warn users about suspicious senders",
    area="Email protection",
    severity=Severity.LOW,
    collections=("exo_antiphish_policies", "exo_eop_rules", "exo_atp_rules"),
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.2.4v1",),
    rationale=(
        "A banner saying 'you don't often get email from this sender' or 'this sender could not be verified' "
        "is often the only thing that makes someone pause before answering a payment request."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-phishing > "
        "each policy > Actions > Safety tips & indicators: turn on the first contact, user impersonation, domain "
        "impersonation and unusual characters safety tips, the unauthenticated sender question mark and the "
        "'via' tag."
    ),
    decision=(
        "Judges every anti-phishing policy in force, presets included (their settings are read, not assumed): "
        "EnableFirstContactSafetyTips, EnableSimilarUsersSafetyTips, EnableSimilarDomainsSafetyTips, "
        "EnableUnusualCharactersSafetyTips, EnableUnauthenticatedSender and EnableViaTag are on (ScubaGear's six), "
        "and EnableSuspiciousSafetyTip where sent (an older ScubaGear's); a switched-off policy fails."
    ),
    versus_scuba=(
        "stricter: every policy that may apply is judged, and a preset passes only on its settings "
        "(ScubaGear passes any preset covering everyone)"
    ),
)

_TIPS = ("EnableFirstContactSafetyTips", "EnableSimilarUsersSafetyTips", "EnableSimilarDomainsSafetyTips",
         "EnableUnusualCharactersSafetyTips", "EnableUnauthenticatedSender", "EnableViaTag")


def _problem(policy: dict[str, Any]) -> str | None:
    if policy["Enabled"] is not True:  # ScubaGear counts enabled policies only
        return "policy_off"
    # An older ScubaGear read EnableSuspiciousSafetyTip instead of EnableUnauthenticatedSender: where the
    # API still sends it, it must be on too.
    off = [t for t in _TIPS if policy.get(t) is not True]
    if policy.get("EnableSuspiciousSafetyTip", True) is not True:
        off.append("EnableSuspiciousSafetyTip")
    return f"off:{','.join(off)}" if off else None


def evaluate(data: Collected) -> Verdict:
    return judge(data["exo_antiphish_policies"], data["exo_eop_rules"], data["exo_atp_rules"], _problem)
