"""Smart lockout locks an account after at most 10 failed attempts, for at least 60 seconds.

No "Password Rule Settings" object means Microsoft's defaults apply (threshold 10, duration 60 s), which meet the
rule: pass with reason ``defaults``.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.groups._directory_settings import PASSWORD_RULE_TEMPLATE_ID, settings_for_template

META = CheckMeta(
    id="entra.passwords.smart_lockout",
    title="Smart lockout threshold and duration are tight",
    area="Passwords",
    severity=Severity.LOW,
    collections=("group_settings",),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v7.0 5.2.3.8", "EIDSCA.PR05", "EIDSCA.PR06"),
    rationale=(
        "Lockout is what makes password spraying and guessing slow; a high threshold or a very short lockout "
        "lets an attacker try many more passwords per account per hour."
    ),
    remediation=(
        "Entra admin center > Protection > Authentication methods > Password protection: set 'Lockout threshold' "
        "to 10 or less and 'Lockout duration in seconds' to 60 or more."
    ),
)

_MAX_THRESHOLD = 10
_MIN_DURATION_S = 60


def evaluate(data: Collected) -> Verdict:
    settings = settings_for_template(data["group_settings"], PASSWORD_RULE_TEMPLATE_ID)
    if settings is None:
        return Verdict.passed({"templateId": PASSWORD_RULE_TEMPLATE_ID}, reason="defaults")
    threshold = int(settings["LockoutThreshold"])
    duration_s = int(settings["LockoutDurationInSeconds"])
    evidence = {"LockoutThreshold": threshold, "LockoutDurationInSeconds": duration_s}
    if threshold > _MAX_THRESHOLD:
        return Verdict.failed(evidence, reason="threshold_too_high")
    if duration_s < _MIN_DURATION_S:
        return Verdict.failed(evidence, reason="duration_too_short")
    return Verdict.passed(evidence)
