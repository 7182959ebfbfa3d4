"""Microsoft Secure Score is at or above the tenant's target (``TenantConfig.secure_score_target``)."""

import datetime as dt
from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="securescore.overall",
    title="Secure Score is at or above target",
    area="Secure Score",
    severity=Severity.MEDIUM,
    collections=("secure_scores",),
    rationale=(
        "Secure Score sums many Microsoft 365 controls, including some this scanner cannot read directly "
        "(Defender for Office policies, Purview settings). A low or falling score points to gaps worth a look "
        "even where no other check fails."
    ),
    remediation=(
        "Open the Microsoft Defender portal > Exposure management > Secure Score > Recommended actions, sort by "
        "score impact and work through the actions that apply; mark those handled by a third-party tool as "
        "'Resolved through third party' so the score reflects them."
    ),
    decision=(
        "Secure Score is Microsoft's own weighting, updated about once a day, and not evidence that any one "
        "setting is right (checks.md §6.9). We keep it as a single medium-severity check against a per-tenant "
        "target, default 60%, so it signals drift without counting again the settings other checks read."
    ),
)


def _average(score: dict[str, Any], basis: str) -> float | None:
    return next((c["averageScore"] for c in score["averageComparativeScores"] if c["basis"] == basis), None)


def evaluate(data: Collected) -> Verdict:
    scores = data["secure_scores"]
    if not scores:
        return Verdict.not_applicable("no_secure_score_yet")
    latest = max(scores, key=lambda s: dt.datetime.fromisoformat(s["createdDateTime"]))
    current, maximum = latest["currentScore"], latest["maxScore"]
    if not maximum:
        return Verdict.not_applicable("no_secure_score_yet", {"currentScore": current, "maxScore": maximum})
    target = data.config.secure_score_target
    ratio = current / maximum
    evidence = {
        "createdDateTime": latest["createdDateTime"],
        "currentScore": current,
        "maxScore": maximum,
        "ratio": round(ratio, 3),
        "target_ratio": target,
        "averageScore_AllTenants": _average(latest, "AllTenants"),
    }
    if ratio >= target:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
