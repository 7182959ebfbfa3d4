"""Every device platform in use has an assigned compliance policy of its own type.

Platforms are read from ``managed_devices[].operatingSystem``: Windows, iOS (iPadOS devices report ``iPadOS``
and are covered by iOS policies), Android and macOS. Other values (Linux, Windows Mobile) are listed in the
evidence but not judged. With no managed devices at all, one assigned policy of any type is enough.
"""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

#: Compliance policy ``@odata.type`` values that cover each platform.
_POLICY_TYPES: dict[str, frozenset[str]] = {
    "Windows": frozenset({"#microsoft.graph.windows10CompliancePolicy"}),
    "iOS": frozenset({"#microsoft.graph.iosCompliancePolicy"}),
    "Android": frozenset({
        "#microsoft.graph.androidCompliancePolicy",
        "#microsoft.graph.androidWorkProfileCompliancePolicy",
        "#microsoft.graph.androidDeviceOwnerCompliancePolicy",
    }),
    "macOS": frozenset({"#microsoft.graph.macOSCompliancePolicy"}),
}
_PLATFORM_OF_OS = {"windows": "Windows", "ios": "iOS", "ipados": "iOS", "android": "Android", "macos": "macOS"}

META = CheckMeta(
    id="intune.compliance_policy_assigned",
    title="Every device platform in use has an assigned compliance policy",
    area="Intune",
    severity=Severity.MEDIUM,
    collections=("compliance_policies", "managed_devices"),
    gates=(Gate.INTUNE,),
    rationale=(
        "A compliance policy is what makes a device prove it is encrypted, patched and locked. Devices of a "
        "platform with no assigned policy are never measured, so 'require a compliant device' means nothing "
        "for them."
    ),
    remediation=(
        "In the Intune admin center go to Devices > Compliance > Create policy for each platform listed (minimum "
        "OS version, encryption, passcode, no jailbreak or root) and assign it to all users or all devices. A "
        "policy with no assignment does nothing."
    ),
)


def _covered_platforms(policies: list[dict[str, Any]]) -> set[str]:
    return {
        platform
        for policy in policies
        if policy["assignments"]
        for platform, types in _POLICY_TYPES.items()
        if policy["@odata.type"] in types
    }


def evaluate(data: Collected) -> Verdict:
    policies = data["compliance_policies"]
    devices = data["managed_devices"]
    covered = _covered_platforms(policies)
    systems = {str(d["operatingSystem"]) for d in devices}
    in_use = {_PLATFORM_OF_OS[s.lower()] for s in systems if s.lower() in _PLATFORM_OF_OS}
    evidence = {
        "policies_read": len(policies),
        "platforms_in_use": sorted(in_use),
        "platforms_with_assigned_policy": sorted(covered),
        "platforms_not_judged": sorted(s for s in systems if s.lower() not in _PLATFORM_OF_OS),
    }
    if not devices:
        if any(p["assignments"] for p in policies):
            return Verdict.passed(evidence, reason="no_managed_devices")
        return Verdict.failed(evidence, reason="no_assigned_policy")
    missing = in_use - covered
    if not missing:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=sorted(missing))
