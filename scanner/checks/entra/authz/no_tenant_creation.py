"""Ordinary users cannot create new Entra tenants."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.no_tenant_creation",
    title="Users cannot create tenants",
    area="Authorization policy",
    severity=Severity.MEDIUM,
    collections=("authorization_policy",),
    references=("CIS M365 v7.0 5.1.2.3", "MT.1068"),
    rationale=(
        "A user who creates a tenant becomes its Global Administrator, outside the company's policies, logging "
        "and offboarding; data and apps can drift there unseen."
    ),
    remediation=(
        "Entra admin center > Identity > Users > User settings: set 'Restrict non-admin users from creating "
        "tenants' to Yes."
    ),
)


def evaluate(data: Collected) -> Verdict:
    allowed = data["authorization_policy"]["defaultUserRolePermissions"]["allowedToCreateTenants"]
    evidence = {"defaultUserRolePermissions.allowedToCreateTenants": allowed}
    if allowed is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
