"""Users cannot read the BitLocker recovery keys of their own devices."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.bitlocker_keys_restricted",
    title="Users cannot read BitLocker keys of their own devices",
    area="Authorization policy",
    severity=Severity.LOW,
    collections=("authorization_policy",),
    references=("CIS M365 v7.0 5.1.4.6",),
    rationale=(
        "A recovery key unlocks the disk without the user's sign-in; a stolen account should not also hand out "
        "the key to a laptop that was stolen with it. Key recovery belongs with the helpdesk."
    ),
    remediation=(
        "Entra admin center > Identity > Devices > All devices > Device settings: set 'Restrict users from "
        "recovering the BitLocker key(s) for their owned devices' to Yes."
    ),
)


def evaluate(data: Collected) -> Verdict:
    allowed = data["authorization_policy"]["defaultUserRolePermissions"]["allowedToReadBitlockerKeysForOwnedDevice"]
    evidence = {"defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice": allowed}
    if allowed is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
