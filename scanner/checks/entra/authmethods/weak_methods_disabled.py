"""SMS, voice call and email one-time passcodes are turned off."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.authmethods._methods import configurations

META = CheckMeta(
    id="entra.authmethods.weak_methods_disabled",
    title="SMS, voice and email one-time passcodes are disabled",
    area="Authentication methods",
    severity=Severity.HIGH,
    collections=("auth_methods_policy",),
    references=("MS.AAD.3.5v2", "CIS M365 v7.0 5.2.3.5", "CIS M365 v7.0 5.2.3.7", "EIDSCA.AV01"),
    rationale=(
        "Codes sent by text, voice call or email can be intercepted through SIM swapping, phone-network attacks or "
        "a compromised mailbox, and users can be talked into reading them out to a phisher."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Policies: open SMS, Voice call and Email OTP in "
        "turn and set Enable to off. Move users to Microsoft Authenticator or passkeys first (registration campaign)."
    ),
)

_WEAK = {"Sms", "Voice", "Email"}


def evaluate(data: Collected) -> Verdict:
    found = configurations(data["auth_methods_policy"], _WEAK)
    states = {c["id"]: c["state"] for c in found}
    enabled = [method for method, state in states.items() if state != "disabled"]
    if enabled:
        return Verdict.failed({"states": states}, affected=enabled)
    return Verdict.passed({"states": states})
