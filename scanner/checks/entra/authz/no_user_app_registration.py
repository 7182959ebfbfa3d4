"""Ordinary users cannot register applications."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.no_user_app_registration",
    title="Users cannot register applications",
    area="Authorization policy",
    severity=Severity.HIGH,
    collections=("authorization_policy",),
    references=("MS.AAD.5.1v1", "CIS M365 v7.0 5.1.2.2", "EIDSCA.AP10"),
    rationale=(
        "An app registered by any user can be given a secret and consented to read that user's data; "
        "attackers use self-registered apps to keep access after a password reset."
    ),
    remediation=(
        "Entra admin center > Identity > Users > User settings: set 'Users can register applications' to No. "
        "Give developers the Application Developer role instead."
    ),
)


def evaluate(data: Collected) -> Verdict:
    allowed = data["authorization_policy"]["defaultUserRolePermissions"]["allowedToCreateApps"]
    evidence = {"defaultUserRolePermissions.allowedToCreateApps": allowed}
    if allowed is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
