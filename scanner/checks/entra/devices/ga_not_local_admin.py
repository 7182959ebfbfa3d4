"""Global Administrators are not made local administrators on every Entra-joined device."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.devices.ga_not_local_admin",
    title="Global Administrators are not local admins on joined devices",
    area="Devices",
    severity=Severity.LOW,
    collections=("device_registration_policy",),
    references=("CIS M365 v7.0 5.1.4.3", "MT.1090"),
    rationale=(
        "Signing in to a workstation with a tenant-wide admin account exposes its tokens to whatever runs on that "
        "machine; device administration should use a device-scoped role or LAPS instead."
    ),
    remediation=(
        "Entra admin center > Identity > Devices > All devices > Device settings > Manage Additional local "
        "administrators on all Microsoft Entra joined devices: set 'Global administrator role is added as local "
        "administrator on the device during Microsoft Entra join' to No; use the Microsoft Entra Joined Device "
        "Local Administrator role for helpdesk staff."
    ),
)


def evaluate(data: Collected) -> Verdict:
    enabled = data["device_registration_policy"]["azureADJoin"]["localAdmins"]["enableGlobalAdmins"]
    evidence = {"azureADJoin.localAdmins.enableGlobalAdmins": enabled}
    if enabled is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
