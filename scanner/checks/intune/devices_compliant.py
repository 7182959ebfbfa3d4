"""Most managed devices are compliant (share set per tenant by ``TenantConfig.compliant_device_ratio``).

Only ``complianceState == "compliant"`` counts; a device in its grace period or not yet evaluated is not
compliant yet.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="intune.devices_compliant",
    title="Managed devices are compliant",
    area="Intune",
    severity=Severity.MEDIUM,
    collections=("managed_devices",),
    gates=(Gate.INTUNE,),
    rationale=(
        "A non-compliant device is missing something its policy requires: encryption, a current OS, a passcode "
        "or a healthy antivirus. Many of them mean the policy is not enforced or devices are left unattended."
    ),
    remediation=(
        "In the Intune admin center go to Devices > Monitor > Noncompliant devices, fix or retire each device "
        "listed, and add actions for noncompliance (notify the user, mark non-compliant after a grace period) so "
        "Conditional Access blocks devices that stay non-compliant."
    ),
)


def evaluate(data: Collected) -> Verdict:
    devices = data["managed_devices"]
    if not devices:
        return Verdict.not_applicable("no_managed_devices")
    noncompliant = [d["deviceName"] for d in devices if d["complianceState"] != "compliant"]
    ratio = (len(devices) - len(noncompliant)) / len(devices)
    target = data.config.compliant_device_ratio
    evidence = {
        "devices": len(devices),
        "compliant": len(devices) - len(noncompliant),
        "compliant_ratio": round(ratio, 3),
        "target_ratio": target,
    }
    if ratio >= target:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=noncompliant)
