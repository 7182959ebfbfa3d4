"""Windows LAPS is turned on in Microsoft Entra ID, so each device's local admin password is unique and rotated."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.devices.laps_enabled",
    title="Entra LAPS is enabled",
    area="Devices",
    severity=Severity.MEDIUM,
    collections=("device_registration_policy",),
    references=("CIS M365 v7.0 5.1.4.5",),
    rationale=(
        "A local administrator password shared across machines lets one compromised laptop unlock all the others; "
        "LAPS gives every device its own password, stored in Entra ID and rotated."
    ),
    remediation=(
        "Entra admin center > Identity > Devices > All devices > Device settings: set 'Enable Microsoft Entra "
        "Local Administrator Password Solution (LAPS)' to Yes, then deploy a LAPS policy to devices with Intune "
        "(Endpoint security > Account protection)."
    ),
)


def evaluate(data: Collected) -> Verdict:
    is_enabled = data["device_registration_policy"]["localAdminPassword"]["isEnabled"]
    evidence = {"localAdminPassword.isEnabled": is_enabled}
    if is_enabled is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
