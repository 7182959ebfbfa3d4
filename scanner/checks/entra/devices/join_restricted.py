"""Only selected users (or nobody) can join devices to Microsoft Entra ID."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.devices.join_restricted",
    title="Entra join is limited to selected users",
    area="Devices",
    severity=Severity.LOW,
    collections=("device_registration_policy",),
    references=("CIS M365 v7.0 5.1.4.1", "MT.1070"),
    rationale=(
        "A joined device gets a trusted device identity and, for the joining user, local admin rights by "
        "default; when anyone can join, personal and attacker-controlled machines can look like company ones."
    ),
    remediation=(
        "Entra admin center > Identity > Devices > All devices > Device settings: set 'Users may join devices to "
        "Microsoft Entra' to Selected and choose the IT staff or enrolment accounts (or None)."
    ),
)

_RESTRICTED = frozenset({
    "#microsoft.graph.enumeratedDeviceRegistrationMembership",
    "#microsoft.graph.noDeviceRegistrationMembership",
})


def evaluate(data: Collected) -> Verdict:
    membership = data["device_registration_policy"]["azureADJoin"]["allowedToJoin"]["@odata.type"]
    evidence = {"azureADJoin.allowedToJoin.@odata.type": membership}
    if membership in _RESTRICTED:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
