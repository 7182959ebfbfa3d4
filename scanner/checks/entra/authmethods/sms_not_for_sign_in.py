"""SMS cannot be used as a first factor (passwordless sign-in with a texted code)."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.authmethods._methods import method_configuration

META = CheckMeta(
    id="entra.authmethods.sms_not_for_sign_in",
    title="SMS is not usable for sign-in",
    area="Authentication methods",
    severity=Severity.MEDIUM,
    collections=("auth_methods_policy",),
    references=("EIDSCA.AS04",),
    rationale=(
        "SMS sign-in lets a texted code replace the password entirely, so whoever controls the phone number "
        "(a SIM swap is enough) controls the account."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Policies > SMS > Enable and Target: for every "
        "included group, clear 'Use for sign-in'. Better still, turn SMS off."
    ),
)


def evaluate(data: Collected) -> Verdict:
    sms = method_configuration(data["auth_methods_policy"], "Sms")
    if sms["state"] == "disabled":
        return Verdict.passed({"state": sms["state"]}, reason="sms_disabled")
    usable = [t["id"] for t in sms["includeTargets"] if t["isUsableForSignIn"] is not False]
    evidence = {"state": sms["state"], "targets": len(sms["includeTargets"])}
    if usable:
        return Verdict.failed(evidence, affected=usable)
    return Verdict.passed(evidence)
