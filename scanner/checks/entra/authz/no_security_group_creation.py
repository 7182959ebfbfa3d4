"""Ordinary users cannot create security groups."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.no_security_group_creation",
    title="Users cannot create security groups",
    area="Authorization policy",
    severity=Severity.LOW,
    collections=("authorization_policy",),
    references=("CIS M365 v7.0 5.1.3.1", "MT.1069"),
    rationale=(
        "Security groups grant access to apps, files and policies; when anyone can create them, nobody knows "
        "which groups matter, and access sprawls without review."
    ),
    remediation=(
        "Entra admin center > Identity > Groups > All groups > General: set 'Users can create security groups in "
        "Azure portals, API or PowerShell' to No."
    ),
)


def evaluate(data: Collected) -> Verdict:
    allowed = data["authorization_policy"]["defaultUserRolePermissions"]["allowedToCreateSecurityGroups"]
    evidence = {"defaultUserRolePermissions.allowedToCreateSecurityGroups": allowed}
    if allowed is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
