"""Devices that no compliance policy targets are marked not compliant."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="intune.noncompliant_by_default",
    title="Devices without a compliance policy are not compliant",
    area="Intune",
    severity=Severity.HIGH,
    collections=("intune_settings",),
    gates=(Gate.INTUNE,),
    references=("CIS M365 v7.0 4.1", "MT.1054"),
    rationale=(
        "By default Intune marks a device that no compliance policy targets as compliant, so a Conditional Access "
        "rule that requires a compliant device lets in any enrolled device nobody has set requirements for."
    ),
    remediation=(
        "In the Intune admin center go to Devices > Compliance > Compliance settings and set 'Mark devices with no "
        "compliance policy assigned as' to Not compliant. Assign a compliance policy for every platform first, "
        "or those devices lose access."
    ),
)


def evaluate(data: Collected) -> Verdict:
    secure = data["intune_settings"]["secureByDefault"]
    evidence = {"secureByDefault": secure}
    if secure is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
