"""A Temporary Access Pass, where enabled, works for one sign-in only."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.authmethods._methods import method_configuration

META = CheckMeta(
    id="entra.authmethods.tap_one_time",
    title="Temporary Access Pass is one-time use",
    area="Authentication methods",
    severity=Severity.LOW,
    collections=("auth_methods_policy",),
    references=("EIDSCA.AT01", "EIDSCA.AT02"),
    rationale=(
        "A Temporary Access Pass satisfies MFA on its own. A reusable pass that leaks (a ticket, a chat message) "
        "gives strong sign-in to whoever reads it until it expires."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Policies > Temporary Access Pass > Configure: "
        "set 'One-time' to Yes."
    ),
)


def evaluate(data: Collected) -> Verdict:
    tap = method_configuration(data["auth_methods_policy"], "TemporaryAccessPass")
    if tap["state"] != "enabled":
        return Verdict.passed({"state": tap["state"]}, reason="tap_disabled")
    evidence = {"state": tap["state"], "isUsableOnce": tap["isUsableOnce"]}
    if tap["isUsableOnce"] is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
